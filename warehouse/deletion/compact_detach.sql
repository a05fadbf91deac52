-- Close the compacted copy before it is swapped in.
DETACH compacted
