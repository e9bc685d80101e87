"""The English and Korean catalogues match key for key, and every key the code asks for exists."""

import re
import string
import tomllib
from pathlib import Path

import pytest

from mnist_demo import i18n
from mnist_demo.i18n import CATALOGUE_DIR, LANGUAGES, catalogue, translate

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("mnist_demo/**/*.py")],
)
# t("key"), ui.t("key"), translate("key", ...) and their f-string forms t(f"home.{x}.title").
CALL = re.compile(r"""(?<![\w.])(?:ui\.)?(?:t|translate)\(\s*(f?)(["'])([^"'\n]+)\2""")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Names that read the same in both languages (products, layers, optimizers, file formats).
NAMES = {
    "MNIST", "English", "Keras", "TensorFlow", "NumPy", "Dense", "ReLU", "CNN", "RMSprop",
    "rmsprop", "Adam", "adam", "SGD", "sgd", "softmax", "SQLite", "PNG", "JPEG", "ETA",
}  # fmt: skip

# The Korean edition's terms (케라스 창시자에게 배우는 딥러닝): where the English text uses
# the term, the Korean text must use the book's word ...
BOOK_TERMS = {
    r"\btraining sets?\b": "훈련 세트",
    r"\btest sets?\b": "테스트 세트",
    r"\blabels?\b": "레이블",
    r"\bloss(es)?\b": "손실",
    r"\boptimi[sz]ers?\b": "옵티마이저",
    r"\baccuracy\b": "정확도",
    r"\boverfit(ting)?\b": "과대적합",
    r"\bone-hot\b": "원-핫",
}
# ... and none of the other spellings in use elsewhere.
NOT_BOOK_TERMS = (
    "라벨",
    "학습 세트",
    "트레이닝 세트",
    "훈련 셋",
    "테스트 셋",
    "훈련셋",
    "테스트셋",
    "손실함수",
    "옵티마이져",
    "최적화기",
    "과적합",
    "원핫",
    "원 핫",
    "정확률",
)


def _file_catalogue(lang: str, name: str) -> dict[str, str]:
    flat: dict[str, str] = {}
    with (CATALOGUE_DIR / lang / name).open("rb") as handle:
        i18n._flatten(tomllib.load(handle), Path(name).stem, flat)
    return flat


def _files(lang: str) -> set[str]:
    return {path.name for path in (CATALOGUE_DIR / lang).glob("*.toml")}


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _prose(text: str) -> str:
    """The text without `code spans` and {placeholders}: what a reader reads as words."""
    return re.sub(r"`[^`]*`|\{[^}]*\}", " ", text)


def test_both_languages_have_the_same_catalogue_files():
    assert _files("en") == _files("ko"), "every page keeps an en and a ko file"
    assert {"common.toml", "home.toml"} <= _files("en")


@pytest.mark.parametrize("name", sorted(_files("en") | _files("ko")))
def test_each_file_has_the_same_keys_in_both_languages(name):
    keys = {lang: set(_file_catalogue(lang, name)) for lang in LANGUAGES if name in _files(lang)}
    assert set(keys) == set(LANGUAGES), f"{name} exists only in {sorted(keys)}"
    only_en, only_ko = keys["en"] - keys["ko"], keys["ko"] - keys["en"]
    assert not only_en and not only_ko, f"{name}: only in en {only_en}, only in ko {only_ko}"


def test_placeholders_match_between_languages():
    english, korean = catalogue("en"), catalogue("ko")
    mismatched = {
        key: (sorted(_placeholders(english[key])), sorted(_placeholders(korean[key])))
        for key in english.keys() & korean.keys()
        if _placeholders(english[key]) != _placeholders(korean[key])
    }
    assert not mismatched, f"placeholders differ (en, ko): {mismatched}"


def test_no_text_is_empty():
    empty = [f"{lang}:{key}" for lang in LANGUAGES for key, v in catalogue(lang).items() if not v]
    assert not empty


def test_korean_text_is_translated():
    """A Korean entry identical to its English one, with English words in it, was forgotten."""
    english, korean = catalogue("en"), catalogue("ko")
    untranslated = [
        key
        for key in english.keys() & korean.keys()
        if korean[key] == english[key]
        and not HANGUL.search(korean[key])
        and set(re.findall(r"[A-Za-z]{3,}", _prose(korean[key]))) - NAMES
    ]
    assert not untranslated, f"Korean text still in English: {sorted(untranslated)}"


def test_korean_uses_the_books_terms():
    english, korean = catalogue("en"), catalogue("ko")
    problems = []
    for key in sorted(english.keys() & korean.keys()):
        words = _prose(english[key]).lower()
        for pattern, term in BOOK_TERMS.items():
            if re.search(pattern, words) and term not in korean[key]:
                problems.append(f"{key}: English says {pattern!r}, Korean lacks {term!r}")
        for wrong in NOT_BOOK_TERMS:
            if wrong in korean[key]:
                problems.append(f"{key}: {wrong!r} is not the book's term")
    assert not problems, "\n".join(problems)


def test_korean_text_names_pages_as_the_korean_navigation_does():
    """A Korean sentence pointing to "the Train page" must use the sidebar's Korean name."""
    english_names = {
        catalogue("en")[key]: key for key in catalogue("en") if key.startswith("common.nav.")
    }
    wrong = [
        f"{key}: {name!r} should read {catalogue('ko')[nav]!r}"
        for key, text in catalogue("ko").items()
        if not key.startswith("common.nav.")
        for name, nav in english_names.items()
        if re.search(rf"\b{name}\b", _prose(text)) and HANGUL.search(text)
    ]
    assert not wrong, "\n".join(wrong)


def _calls() -> list[tuple[Path, int, bool, str]]:
    found = []
    for path in SOURCES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in CALL.finditer(line):
                found.append((path, number, match.group(1) == "f", match.group(3)))
    return found


def test_source_scan_finds_the_calls():
    """Guards the scan itself: it must see the Home page's and app.py's look-ups."""
    keys = {key for _, _, _, key in _calls()}
    assert {"home.title", "common.nav.home", "home.steps.{step.key}.title"} <= keys


def test_every_key_the_code_asks_for_exists():
    """Literal keys must exist; f-string keys must match at least one key in each language."""
    missing = []
    for lang in LANGUAGES:
        keys = catalogue(lang)
        for path, number, is_f_string, key in _calls():
            where = f"{path.relative_to(ROOT)}:{number} ({lang})"
            if not is_f_string:
                if key not in keys:
                    missing.append(f"{where}: {key}")
                continue
            parts = re.split(r"\{[^}]*\}", key)
            pattern = re.compile(".+?".join(re.escape(part) for part in parts) + r"\Z")
            if not any(pattern.match(candidate) for candidate in keys):
                missing.append(f"{where}: no key matches {key}")
    assert not missing, "keys missing from the catalogues:\n" + "\n".join(missing)


def test_translate_fills_placeholders_and_refuses_unknown_keys():
    assert translate("home.listing", "en", number="2-1") == "Listing 2-1"
    assert translate("home.listing", "ko", number="2-1") == "코드 2-1"
    assert translate("common.nav.train", "ko") == "훈련"
    with pytest.raises(KeyError, match="home.nope"):
        translate("home.nope", "ko")
    with pytest.raises(ValueError, match="unknown language"):
        translate("home.title", "fr")
