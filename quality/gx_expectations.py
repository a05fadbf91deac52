"""The GX expectations the hub's suites use, imported from where GX defines them.

``great_expectations.expectations`` re-exports them without ``__all__``, which ``mypy --strict``
(no implicit re-export) refuses; importing this module costs what importing GX costs, so
import it lazily, after :func:`quality.gx_suites.import_gx`.
"""

from great_expectations.expectations.core.expect_column_pair_values_a_to_be_greater_than_b import (
    ExpectColumnPairValuesAToBeGreaterThanB,
)
from great_expectations.expectations.core.expect_column_proportion_of_non_null_values_to_be_between import (  # noqa: E501
    ExpectColumnProportionOfNonNullValuesToBeBetween,
)
from great_expectations.expectations.core.expect_column_value_lengths_to_be_between import (
    ExpectColumnValueLengthsToBeBetween,
)
from great_expectations.expectations.core.expect_column_values_to_be_between import (
    ExpectColumnValuesToBeBetween,
)
from great_expectations.expectations.core.expect_column_values_to_be_in_set import (
    ExpectColumnValuesToBeInSet,
)
from great_expectations.expectations.core.expect_column_values_to_be_unique import (
    ExpectColumnValuesToBeUnique,
)
from great_expectations.expectations.core.expect_column_values_to_match_regex import (
    ExpectColumnValuesToMatchRegex,
)
from great_expectations.expectations.core.expect_column_values_to_not_be_null import (
    ExpectColumnValuesToNotBeNull,
)
from great_expectations.expectations.core.expect_column_values_to_not_match_regex import (
    ExpectColumnValuesToNotMatchRegex,
)
from great_expectations.expectations.core.expect_table_row_count_to_be_between import (
    ExpectTableRowCountToBeBetween,
)

__all__ = [
    "ExpectColumnPairValuesAToBeGreaterThanB",
    "ExpectColumnProportionOfNonNullValuesToBeBetween",
    "ExpectColumnValueLengthsToBeBetween",
    "ExpectColumnValuesToBeBetween",
    "ExpectColumnValuesToBeInSet",
    "ExpectColumnValuesToBeUnique",
    "ExpectColumnValuesToMatchRegex",
    "ExpectColumnValuesToNotBeNull",
    "ExpectColumnValuesToNotMatchRegex",
    "ExpectTableRowCountToBeBetween",
]
