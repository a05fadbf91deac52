# Thin wrappers around dev.py, which also works where make is missing.
.PHONY: setup demo test test-fast check ui
setup:
	python3 dev.py setup
demo:
	python3 dev.py demo
test:
	python3 dev.py test
test-fast:
	python3 dev.py test --fast
check:
	python3 dev.py check
ui:
	python3 dev.py ui
