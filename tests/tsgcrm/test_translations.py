"""French and Spanish ship complete: every string a person sees is translated."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ["fr", "es"]
SOURCES = ["tsgcrm", "circles", "contacts", "pipeline", "certification", "newsletters",
           "templates",
           "manage.py"]


def _catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_is_complete(language):
    po = _catalogue(language)
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    for entry in po.translated_entries():
        if entry.msgid_plural:
            assert all(entry.msgstr_plural.values()), entry.msgid


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_the_source(language):
    po = _catalogue(language)
    mo = polib.mofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo if not e.msgid_plural}
    for entry in po.translated_entries():
        if not entry.msgid_plural and not entry.obsolete:
            assert compiled.get((entry.msgctxt, entry.msgid)) == entry.msgstr, (
                f"{entry.msgid!r}: run `make messages`")


def test_every_string_in_the_code_is_in_the_catalogues(tmp_path):
    for name in SOURCES + ["locale"]:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, tmp_path / name)
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete", "-v", "0"],
        cwd=tmp_path, check=True, env={"DEBUG": "1", "TSGCRM_VAR_DIR": str(tmp_path / "var"),
                                       "PATH": "/usr/bin:/bin"},
    )
    fresh = {(e.msgctxt, e.msgid) for e in
             polib.pofile(str(tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po"))}
    shipped = {(e.msgctxt, e.msgid) for e in _catalogue("fr")}
    assert fresh - shipped == set(), "new strings: run `make messages` and translate them"
