"""What of a target's own words may reach the operator: an error type's class name when it reads as one, a
request id as Lambda writes them; never a message, a log line or anything link-like."""

import pytest

from autotuner.domain.measuring.target_text import shown_error_type, shown_request_id, where_its_words_are


@pytest.mark.parametrize(
    ("error_type", "shown"),
    [
        ("KeyError", "KeyError"),
        ("Runtime.OutOfMemory", "OutOfMemory"),
        ("java.lang.IllegalStateException", "IllegalStateException"),
        ("*fmt.wrapError", "wrapError"),
        ("Foo$Bar", "Foo$Bar"),  # a Java inner class
        ("evil.com", "com"),  # never a dotted, link-like path
        ("click http://evil/ to fix", None),
        ("http://evil.example/fix", None),
        ("Error: see <a href=x>", None),
        ("x" * 65, None),
        ("", None),
        (None, None),
    ],
)
def test_an_error_type_shows_as_its_class_name_or_not_at_all(error_type: str | None, shown: str | None) -> None:
    assert shown_error_type(error_type) == shown


def test_a_request_id_shows_only_as_lambda_writes_them() -> None:
    assert shown_request_id("8f5a1c2e-9b0f-4a7e-8c1d-2f3e4a5b6c7d") == "8f5a1c2e-9b0f-4a7e-8c1d-2f3e4a5b6c7d"
    assert shown_request_id("8f5a http://evil/") is None
    assert shown_request_id(None) is None


def test_the_operator_is_told_where_the_words_are() -> None:
    assert where_its_words_are("/aws/lambda/orders", "r-1") == (
        "the function's messages and logs are in log group /aws/lambda/orders, request r-1"
    )
    assert where_its_words_are("/custom/orders") == "the function's messages and logs are in log group /custom/orders"
