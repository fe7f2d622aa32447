"""``verify`` checks that every stored payload and source is exactly the RFC 8785 text of a JSON
object (``ledger.storage.canonical.is_canonical_object``), strictly: the same answer as the
reference
``rfc8785`` serialiser and as the shipped standard-library script, on every text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from helpers.strategies import ANY_EVENT
from hypothesis import given, settings
from hypothesis import strategies as st

from events import event_payload
from ledger.storage.canonical import canonical_json, is_canonical_object, why_not_canonical

SCRIPT = Path(__file__).resolve().parent.parent / "docs" / "verifiers" / "verify_chain.py"
SAFE = 2**53 - 1
SCALARS = st.none() | st.booleans() | st.integers(-SAFE, SAFE) | st.text()
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
OBJECTS = st.dictionaries(st.text(max_size=6), JSON, max_size=5)


def _script_functions() -> dict[str, Any]:
    """The shipped script's definitions, without running its check of a database."""
    text = SCRIPT.read_text(encoding="utf-8")
    namespace: dict[str, Any] = {}
    exec(compile(text.split("\ndb = sqlite3.connect")[0], str(SCRIPT), "exec"), namespace)  # noqa: S102
    return namespace


STORED_OBJECT = _script_functions()["stored_object"]


def script_accepts(data: bytes) -> bool:
    try:
        STORED_OBJECT(data)
    except (ValueError, RecursionError):  # the script reports both as non-canonical
        return False
    return True


@pytest.mark.slow  # a big hypothesis run
@settings(max_examples=200, deadline=None)
@given(value=OBJECTS)
def test_canonical_check__accepts_the_reference_text_of_any_object(value: dict[str, Any]) -> None:
    text = rfc8785.dumps(value)
    assert canonical_json(value) == text
    assert is_canonical_object(text) and is_canonical_object(text.decode("utf-8"))
    assert script_accepts(text)


@settings(max_examples=100, deadline=None)
@given(event=ANY_EVENT)
def test_canonical_check__accepts_every_payload_the_store_writes(event: Any) -> None:
    assert is_canonical_object(canonical_json(event_payload(event)))


MUTATIONS = st.sampled_from(["insert", "delete", "replace", "swap"])
BYTES = st.sampled_from([bytes([b]) for b in b' \n,:"{}[].0159eE-\\u']) | st.binary(
    min_size=1, max_size=1
)


@pytest.mark.slow  # a big hypothesis run
@settings(max_examples=500, deadline=None)
@given(value=OBJECTS, how=MUTATIONS, where=st.integers(0, 10_000), byte=BYTES)
def test_canonical_check__agrees_with_the_reference_and_the_script_on_mutated_text(
    value: dict[str, Any], how: str, where: int, byte: bytes
) -> None:
    """Any text: canonical iff it parses to an object (strictly) whose RFC 8785 text is itself;
    ours and the script's answer alike, and a reason is given when it is not."""
    text = rfc8785.dumps(value)
    i = where % (len(text) + 1)
    mutated = {
        "insert": text[:i] + byte + text[i:],
        "delete": text[:i] + text[i + 1 :],
        "replace": text[:i] + byte + text[i + 1 :],
        "swap": text[:i] + text[i + 1 : i + 2] + text[i : i + 1] + text[i + 2 :],
    }[how]
    expected = _reference(mutated)
    assert is_canonical_object(mutated) is expected, mutated
    assert script_accepts(mutated) is expected, mutated
    if not expected:
        assert why_not_canonical(mutated)


def _reference(data: bytes) -> bool:
    """Canonical by the definition: strict parse (no duplicate keys, floats or NaN), an
    object, and the reference serialiser gives back the same bytes."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({k for k, _ in items}) != len(items):
            raise ValueError("duplicate")
        return dict(items)

    def no(_: str) -> Any:
        raise ValueError("refused")

    try:
        value = json.loads(
            data.decode("utf-8"), object_pairs_hook=pairs, parse_float=no, parse_constant=no
        )
        return isinstance(value, dict) and rfc8785.dumps(value) == data
    except (ValueError, RecursionError, rfc8785.CanonicalizationError):
        return False


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b'{"a":"1", "b":2}', "is not in its canonical form"),
        (b'{\n  "a": "1"\n}', "is not in its canonical form"),
        (b'{"b":1,"a":2}', "is not in its canonical form"),
        (b'{"a":"\\u0041"}', "is not in its canonical form"),
        (b'{"a":"\\/"}', "is not in its canonical form"),
        (b'{"\xef\xbf\xbf":2,"\xf0\x9f\x98\x80":1}', "is not in its canonical form"),  # code points
        (b'{"amount":"1","amount":"8474800000000"}', 'has the key "amount" twice'),
        (b'{"a":{"b":1,"b":1}}', 'has the key "b" twice'),
        (b'{"a":1.0}', "holds the number 1.0, which is not an integer"),
        (b'{"a":1e2}', "holds the number 1e2, which is not an integer"),
        (b'{"a":[0.5]}', "holds the number 0.5, which is not an integer"),
        (b'{"a":NaN}', "holds NaN, which JSON does not have"),
        (b'{"a":9007199254740992}', "holds the integer 9007199254740992, beyond"),
        (b'{"a":' + b"9" * 5000 + b"}", "holds the integer 99999"),
        (b'{"amount":"1"', "is not valid JSON"),
        (b"", "is not valid JSON"),
        (b'\xef\xbb\xbf{"a":1}', "is not valid JSON"),  # a byte order mark
        (b'{"a":"\\ud800"}', "is not in its canonical form"),  # a lone surrogate
        (b'{"a":"\xff"}', "is not valid UTF-8"),
        (b"[1,2]", "is not a JSON object"),
        (b"null", "is not a JSON object"),
        (b'"x"', "is not a JSON object"),
        (b"[" * 5000 + b"]" * 5000, "is not valid JSON"),
        (b'{"a":' + b"[" * 100 + b"]" * 100 + b"}", "nests objects and arrays more than 100 deep"),
        (b'{"a":' + b"[" * 900 + b"]" * 900 + b"}", "nests objects and arrays more than 100 deep"),
    ],
)
def test_canonical_check__refuses_with_a_reason(text: bytes, reason: str) -> None:
    assert not is_canonical_object(text)
    assert not script_accepts(text)
    assert why_not_canonical(text).startswith(reason), why_not_canonical(text)
    assert len(why_not_canonical(text)) < 200


@pytest.mark.parametrize(
    "text",
    [
        b"{}",
        b'{"a":"1","b":2}',
        b'{"\xf0\x9f\x98\x80":1,"\xef\xbf\xbf":2}',  # UTF-16 order: U+1F600 is D83D DE00
        b'{"a":"\\u001f\\n\\"\\\\\x7f\xe2\x80\xa8"}',  # minimal escapes; DEL, U+2028 as they are
        b'{"a":[1,{"b":null,"c":true}],"b":-9007199254740991}',
        b'{"title":"\xe4\xba\x88\xe7\xae\x97\xe6\x9b\xb8"}',
        b'{"a":' + b"[" * 99 + b"]" * 99 + b"}",  # 100 deep, the most a payload may nest
    ],
)
def test_canonical_check__accepts_canonical_text(text: bytes) -> None:
    assert is_canonical_object(text)
    assert script_accepts(text)
    assert rfc8785.dumps(json.loads(text)) == text
