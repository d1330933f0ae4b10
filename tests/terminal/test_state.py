"""The terminal's state file: what is saved is what comes back, or a clear refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from sscard.cards.numbers import make_card_no
from sscard.invalid_list.lookup import InvalidList
from sscard.terminal.state import CorruptState, TerminalState, decode_state, encode_state, load_state, save_state

CARDS = [make_card_no("110105", serial) for serial in (1, 2, 900_000_000)]


def a_state() -> TerminalState:
    cards = InvalidList([(CARDS[0], "lost"), (CARDS[1], "replaced")], min_merge=1)
    cards.apply("add", CARDS[2], "damaged")  # still in the overlay when saved
    cards.apply("remove", CARDS[1], None)
    return TerminalState(version=42, scope="110100", cards=cards)


def test_a_saved_state_loads_back_the_same(tmp_path: Path) -> None:
    path = tmp_path / "terminal" / "list.bin"
    save_state(path, a_state())
    loaded = load_state(path)
    assert loaded is not None
    assert (loaded.version, loaded.scope) == (42, "110100")
    assert list(loaded.cards.items()) == [(CARDS[0], "lost"), (CARDS[2], "damaged")]
    assert loaded.cards.is_invalid(CARDS[2])
    assert not loaded.cards.is_invalid(CARDS[1])


def test_saving_replaces_the_file_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "list.bin"
    save_state(path, TerminalState(version=1, scope="110100", cards=InvalidList()))
    save_state(path, a_state())
    assert [p.name for p in tmp_path.iterdir()] == ["list.bin"]
    loaded = load_state(path)
    assert loaded is not None
    assert loaded.version == 42


def test_no_file_is_no_state(tmp_path: Path) -> None:
    assert load_state(tmp_path / "absent.bin") is None


@pytest.mark.parametrize("position", [0, 5, 30, -1])
def test_a_damaged_file_is_refused(position: int) -> None:
    data = bytearray(encode_state(a_state()))
    data[position] ^= 0x01
    with pytest.raises(CorruptState):
        decode_state(bytes(data))


def test_a_truncated_file_is_refused() -> None:
    data = encode_state(a_state())
    with pytest.raises(CorruptState):
        decode_state(data[: len(data) // 2])
