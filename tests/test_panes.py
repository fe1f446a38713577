"""The lists' labels (components/panes.py): a radio tells its options apart by their label
text, and hands back a label it no longer offers as its value (Streamlit 1.67)."""

from __future__ import annotations

from components import format as fmt
from components import panes

TITLE = "**search\\_docs “install”**"  # a card title: bold, ending in punctuation


def test_labels_alike_differ_and_read_alike() -> None:
    labels = panes.tagged({"ses_a": TITLE, "ses_b": TITLE, "ses_c": "**other**"})
    assert len(set(labels.values())) == 3
    assert [fmt.untagged(label) for label in labels.values()] == [TITLE, TITLE, "**other**"]


def test_a_tag_follows_a_space_so_it_never_ends_the_labels_markup() -> None:
    # A zero-width character right after a closing ** that follows punctuation is neither
    # space nor punctuation to CommonMark: the title would show its asterisks, not bold.
    (label,) = panes.tagged({"ses_a": TITLE}).values()
    assert label.startswith(TITLE + " ")
    assert label[len(TITLE) + 1 :].strip("\u200b\u200c") == ""


def test_a_stale_label_names_its_own_option_not_the_one_that_now_reads_the_same() -> None:
    before = panes.tagged({"ses_a": TITLE, "ses_b": TITLE})
    after = panes.tagged({"ses_a": "**search\\_docs “install” → get\\_page**", "ses_b": TITLE})
    ids = frozenset(after)
    assert before["ses_a"] not in after.values()
    assert panes.owner(before["ses_a"], ids) == "ses_a"
    assert panes.owner("ses_b", ids) == "ses_b"


def test_anything_else_names_no_option() -> None:
    ids = frozenset(panes.tagged({"ses_a": TITLE}))
    gone = panes.tagged({"ses_gone": TITLE})["ses_gone"]
    for value in (None, 3, "", TITLE, "ses_x", gone, gone + "\u2060"):
        assert panes.owner(value, ids) is None, repr(value)


def test_ids_that_share_a_checksum_still_get_labels_of_their_own() -> None:
    ids = [f"id{n}" for n in range(70_000)]  # 24 bits: some checksum repeats among these
    labels = panes.tagged(dict.fromkeys(ids, "x"))
    assert len(set(labels.values())) == len(ids)


def test_text_copied_from_a_card_or_row_is_searched_without_its_tags() -> None:
    copied = "search_docs “install”" + fmt.tag("ses_a") + "\u2060 then" + fmt.tag("tc_1")
    assert fmt.untagged(copied) == "search_docs “install” then"
    persian = "می\u200cخواهم"  # a zero-width non-joiner that belongs to the word
    assert fmt.untagged(persian) == persian
