"""pii.hash_email against pinned SHA-256 vectors: case, spaces, Unicode NFC vs NFD, already hashed.

Each digest below was computed once, outside Python, from the SHA-256 definition
as implemented by coreutils: ``printf '%s' CANONICAL | sha256sum`` where
CANONICAL is the trimmed, lower-cased, NFC form written as explicit UTF-8 bytes
(checked with ``od -tx1``). The test never recomputes them with hashlib.
"""

from __future__ import annotations

import unicodedata

import pandas as pd
import pytest

from omninb import pii

TEST = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"  # test@example.com
JANE = "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d"  # jane.doe@example.com
JOSE = "b0a53cf19e34d05b57bced7365c6b00ddbe38d62957e863de2a66a56c3b42cea"  # jos\xc3\xa9@example.com
ZOE = "d47d0d550b5c92f9da41fa1f9479d4b9bd09462d8aa482b33e63fa2dbb453c49"  # zo\xc3\xab@ex\xc3\xa4mple.de
ANGSTROM = "899f97597a8dd904c4a247a15a2f6a52c586dee9821945d7158b9162c4ec792f"  # \xc3\xa5ngstr\xc3\xb6m@example.se
MULLER = "7c4bcd2018f0784c6b44d1eebf0f7f805a0e3714e805859717f5e2c62ed7cefb"  # m\xc3\xbcller@b\xc3\xbccher.de
CHINESE = "47b40c8a3b16aa231eecd6e9e92f4b16818e2ff8f2531ae7ceedb0afbd9c0ab7"  # 用户@例子.广告
GREEK = (
    "5c89166b48d3b2c5b2b3d6c55de565484f41d28760206e27499af2ddc705dbd0"  # δοκιμή@παράδειγμα.δοκιμή
)
CYRILLIC = "60478ba05f237d01404373065c109b68c1949969231fb3b940ca753d0f3c3d5f"  # пример@example.ru
PLUS_TAG = (
    "d742a8209778dc2324a77f6ecb478a3b73cff648b2a708d1bb62698f25645c56"  # a+tag@sub.example.org
)
FI_LIGATURE = (
    "5f9f1ef39166af660d4f48be34ed0ccd90a106583327e78acad597a399297f89"  # \xef\xac\x81le@example.com
)
FILE = "b141a458b570ce00439f547a85ad915ac049658f6f513ed9722664f56547149d"  # file@example.com
HANGUL = "fb867a1b3e45090c707713f68a22ba0af019c1219688ec2313800e3d7feda33b"  # 한국@example.kr
ISTANBUL = "21b3d4ad954ffe193659bcdcff92053ab646244b3898969a09265d00b2af7ba4"  # i\xcc\x87stanbul@example.com
APOSTROPHE = "7908fe83c2c1d1b4b56870e2e26b49ca9c3bf944d8ab0f4626be4e6bfcca25c0"  # o\xe2\x80\x99brien@example.ie
SHORTEST = "b8e30d1addc62fa00ee5c1c6d01b5e006963c1b178e6b35458daf6c44875468d"  # x@y.z
HEX63 = "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"  # "a" * 63
HEX65 = "74b128f30cf83de43ddf4aafc40c7b50a7443d3c73a89a7cfca17e15e43d51ab"  # "b" * 65

NFD = {  # decomposed spellings, built from code points so no editor can recompose them
    "jose": "jose\u0301@example.com",
    "JOSE": "JOSE\u0301@EXAMPLE.COM",
    "zoe": "zoe\u0308@exa\u0308mple.de",
    "angstrom": "a\u030angstro\u0308m@example.se",
    "muller": "MU\u0308LLER@BU\u0308CHER.DE",
    "hangul": "\u1112\u1161\u11ab\u1100\u116e\u11a8@example.kr",
}

VECTORS = [
    ("test@example.com", TEST),
    ("TEST@EXAMPLE.COM", TEST),
    ("  Test@Example.com ", TEST),
    ("\tteSt@example.COM\n", TEST),
    ("Jane.Doe@Example.com", JANE),
    ("jane.doe@example.com\u00a0", JANE),  # no-break space after a paste from a web page
    ("\u3000JANE.DOE@EXAMPLE.COM", JANE),  # ideographic space
    ("jos\u00e9@example.com", JOSE),
    (NFD["jose"], JOSE),
    ("JOS\u00c9@EXAMPLE.COM", JOSE),
    (NFD["JOSE"], JOSE),
    ("ZO\u00cb@EX\u00c4MPLE.DE", ZOE),
    (NFD["zoe"], ZOE),
    ("\u00c5ngstr\u00f6m@example.se", ANGSTROM),
    (NFD["angstrom"], ANGSTROM),
    ("\u212bngstr\u00f6m@example.se", ANGSTROM),  # ANGSTROM SIGN: NFC maps it to Å
    ("M\u00dcLLER@B\u00dcCHER.DE", MULLER),
    (NFD["muller"], MULLER),
    ("用户@例子.广告", CHINESE),
    (" 用户@例子.广告 ", CHINESE),
    ("ΔΟΚΙΜΉ@ΠΑΡΆΔΕΙΓΜΑ.ΔΟΚΙΜΉ", GREEK),
    ("ПРИМЕР@EXAMPLE.RU", CYRILLIC),
    ("A+Tag@Sub.Example.org", PLUS_TAG),
    ("\ufb01le@example.com", FI_LIGATURE),  # NFC keeps the ligature (NFKC would not)
    ("FILE@example.com", FILE),
    ("\ud55c\uad6d@example.kr", HANGUL),
    (NFD["hangul"], HANGUL),
    ("\u0130stanbul@example.com", ISTANBUL),  # Turkish dotted I lower-cases to i + U+0307
    ("O\u2019Brien@Example.IE", APOSTROPHE),
    ("X@Y.Z", SHORTEST),
    ("a" * 63, HEX63),  # one hex digit short of a digest: an ordinary value, hashed
    ("b" * 65, HEX65),  # one too many: hashed as well
]

ALREADY_HASHED = [
    (TEST, TEST),
    (TEST.upper(), TEST),
    (f"  {JANE}\t", JANE),
    ("0" * 64, "0" * 64),
]


def test_at_least_thirty_pinned_vectors():
    assert len(VECTORS) + len(ALREADY_HASHED) >= 30


def test_decomposed_inputs_really_are_decomposed():
    # Guards the vectors themselves: an NFD case that is secretly NFC tests nothing.
    for text in NFD.values():
        assert unicodedata.normalize("NFC", text) != text


@pytest.mark.parametrize(("address", "digest"), VECTORS)
def test_hash_email_matches_the_pinned_digest(address, digest):
    assert pii.hash_email(address) == digest


@pytest.mark.parametrize(("address", "digest"), VECTORS)
def test_a_series_hashes_like_single_values(address, digest):
    out = pii.hash_email(pd.Series([address, None], index=["a", "b"]))
    assert out["a"] == digest and pd.isna(out["b"])


def test_the_ligature_and_its_spelled_out_form_stay_different_addresses():
    assert pii.hash_email("\ufb01le@example.com") != pii.hash_email("file@example.com")


@pytest.mark.parametrize(("value", "kept"), ALREADY_HASHED)
def test_an_already_hashed_value_is_left_alone_and_flagged(value, kept):
    with pytest.warns(pii.AlreadyHashedWarning, match="already a SHA-256 hex digest"):
        assert pii.hash_email(value) == kept


def test_a_series_with_hashed_values_names_how_many_and_where():
    s = pd.Series(["Test@Example.com", TEST, None, JANE.upper()], index=[10, 11, 12, 13])
    with pytest.warns(pii.AlreadyHashedWarning, match=r"2 values \(index 11, 13\)"):
        out = pii.hash_email(s)
    assert out[[10, 11, 13]].tolist() == [TEST, TEST, JANE] and pd.isna(out[12])
    assert pii.is_hashed(s).tolist() == [False, True, False, True]


def test_hashing_twice_gives_the_same_digest_not_a_hash_of_a_hash():
    once = pii.hash_email("Jane.Doe@example.com")
    with pytest.warns(pii.AlreadyHashedWarning):
        assert pii.hash_email(once) == once == JANE


def test_plain_addresses_raise_no_warning():
    # pytest turns warnings into errors: hashing raw addresses must stay silent.
    assert pii.hash_email(pd.Series([a for a, _ in VECTORS])).notna().all()
