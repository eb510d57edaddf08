"""Hostile input for the property tests: JSON of every shape, and text no parser expects.

Every strategy mixes ordinary values with the ones that broke parsers before: nesting deeper
than the recursion limit, numbers of thousands of digits, lone surrogates, NUL, very long
strings, invalid UTF-8, and JSON that is valid but not an object.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Every code point, lone surrogates (category Cs) included: JSON can carry "\ud800".
ANY_CHAR = st.characters(codec=None, exclude_categories=())
ANY_TEXT = st.text(ANY_CHAR, max_size=60)
LONG_TEXT = st.builds(lambda ch, n: ch * n, ANY_CHAR, st.integers(1_000, 40_000))
HOSTILE_TEXT = st.one_of(
    ANY_TEXT,
    LONG_TEXT,
    st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "x\udfffy", "<!channel>", "é", "…"]),
)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**300), max_value=10**300),
    st.floats(allow_nan=False, allow_infinity=False),
    HOSTILE_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
JSON_OBJECTS = st.dictionaries(ANY_TEXT, JSON_VALUES, max_size=6)


def _nested(depth: int, opener: str) -> str:
    closer = {"[": "]", '{"a":': "}"}[opener]
    return opener * depth + "1" + closer * depth


# JSON texts json.dumps never writes: what a hostile client sends instead.
RAW_HOSTILE_JSON = st.one_of(
    st.builds(_nested, st.integers(500, 10_000), st.sampled_from(["[", '{"a":'])),
    st.builds(lambda n: '{"text": ' + "9" * n + "}", st.integers(4_000, 6_000)),
    st.builds(lambda n: "9" * n, st.integers(4_000, 6_000)),
    st.sampled_from(
        [
            "",
            "null",
            "[1,2]",
            "5",
            '"text"',
            "NaN",
            '{"text": NaN}',
            '{"text": Infinity}',
            '{"text": "\\ud800"}',
            '{"text": "a\\u0000b"}',
            '{"text": "x", "text": 5}',
            "\ufeff{}",
            "{",
            "}",
            '{"text": "unterminated',
        ]
    ),
)


def dumps(value: Any, ascii_only: bool) -> str:
    """JSON text of `value`; lone surrogates survive only as `\\ud800` escapes."""
    return json.dumps(value, ensure_ascii=ascii_only)


JSON_TEXTS = st.one_of(
    st.builds(dumps, JSON_VALUES, st.just(True)),
    st.builds(dumps, JSON_OBJECTS, st.just(True)),
    RAW_HOSTILE_JSON,
)
# Bytes on the wire: UTF-8 of the texts above (surrogates escaped), or anything at all.
BODIES = st.one_of(
    JSON_TEXTS.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
    st.sampled_from([b"\xff\xfe{}", b'{"text": "caf\xe9"}', b"\xc3", b'{"text": "\xed\xa0\x80"}']),
)
