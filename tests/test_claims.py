"""Every number the text states is computed by a chapter, glued, and checked here against the chapters' claim files."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gradflow import claims

ROOT = Path(__file__).resolve().parent.parent
CLAIM_SET = claims.load(ROOT / "chapters")
CLAIMS = CLAIM_SET.claims


@pytest.mark.book
@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_claim(claim, glued):
    assert claim.chapter in glued, f"{claim.chapter} was not executed by the book build (is it in _toc.yml?)"
    values = glued[claim.chapter]
    assert claim.id in values, (
        f"{claim.chapter} never glues {claim.id!r}: call claims.glue({claim.id!r}, value) in the chapter"
    )
    ok, message = claim.check(float(values[claim.id]))
    assert ok, message


@pytest.mark.book
def test_every_glued_claim_id_is_known(glued):
    known = CLAIM_SET.by_id()
    for doc, values in glued.items():
        for key in values:
            if key.startswith("ch") and "-" in key:
                assert key in known, f"{doc} glues {key!r}, which is not a claim in its {claims.SUFFIX} file"


def test_claim_ids_are_unique_and_well_formed():
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids))
    for c in CLAIMS:
        assert c.id.startswith("ch") and c.chapter.startswith("chapters/"), c.id
        if c.kind == "between":
            assert c.expected[0] < c.expected[1], c.id
        if c.kind == "equal":
            assert c.rtol > 0 or c.atol > 0 or float(c.expected).is_integer(), f"{c.id}: state a tolerance"


def test_seed_claims_point_at_known_evidence():
    known = CLAIM_SET.by_id()
    for s in CLAIM_SET.verdicts:
        assert s.verdict in ("right", "wrong", "loose")
        for cid in s.evidence:
            assert cid in known, f"seed claim {s.says!r} cites unknown claim {cid!r}"


def test_check_reports_failures_in_words():
    c = claims.Claim("chX-demo", "demo", "equal", 2.0, "chapters/x", "x", rtol=0.01)
    assert c.check(2.01)[0] and not c.check(2.1)[0]
    ok, message = c.check(math.nan)
    assert not ok and "not a finite number" in message
    assert not claims.Claim("chX-b", "b", "between", (1.0, 2.0), "chapters/x", "x").check(3.0)[0]
    assert claims.Claim("chX-m", "m", "at_most", 1.0, "chapters/x", "x").check(0.5)[0]


def test_glue_rejects_unknown_ids():
    with pytest.raises(KeyError, match="unknown claim id"):
        claims.glue("ch99-nothing", 1.0)


@pytest.mark.parametrize("value", [0.25, math.nan, math.inf, -math.inf])
def test_glue_refuses_a_value_its_claim_rejects(value, monkeypatch):
    """A false or non-finite number raises before anything is displayed, with the claim's message."""
    from IPython import display as ipy_display

    shown = []
    monkeypatch.setattr(ipy_display, "display", lambda *a, **k: shown.append(a))
    with pytest.raises(claims.ClaimFailed, match="ch1-deep-sigmoid-final-loss: a 10-layer sigmoid MLP") as err:
        claims.glue("ch1-deep-sigmoid-final-loss", value)
    assert ("not a finite number" in str(err.value)) == (not math.isfinite(value))
    assert not shown, "a rejected value must not be glued"


def test_glue_refuses_what_is_not_one_number():
    with pytest.raises(TypeError, match="one number"):
        claims.glue("ch1-deep-sigmoid-final-loss", [2.3, 2.3])


def test_glue_displays_what_myst_nb_glue_displays(monkeypatch):
    import myst_nb.ext.glue as nb_glue
    from IPython import display as ipy_display

    calls = []
    record = lambda *args, **kwargs: calls.append((args, kwargs))
    monkeypatch.setattr(nb_glue, "ipy_display", record)
    monkeypatch.setattr(ipy_display, "display", record)
    nb_glue.glue("ch1-deep-sigmoid-final-loss", 2.3, display=False)
    claims.glue("ch1-deep-sigmoid-final-loss", 2.3)
    assert len(calls) == 2 and calls[0] == calls[1], (
        f"gradflow.claims.glue must display exactly what myst_nb.glue(display=False) does; got {calls}"
    )


def test_claims_page_lists_every_seed_claim():
    page = claims.claims_markdown(CLAIM_SET)
    for s in CLAIM_SET.verdicts:
        assert s.says.split(":")[0][:30] in page
    for c in CLAIMS:
        assert f"`{c.id}`" in page


@pytest.mark.book
def test_claims_page_is_built(html_dir):
    page = (html_dir / "chapters" / "claims.html").read_text()
    assert "wrong" in page and "ch2-single-path-rel" in page
    assert "claims-table" not in page, "the claims table marker was not replaced"


def test_claims_are_found_from_the_root_the_chapters_and_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(claims.ENV, raising=False)
    assert claims.find_directory(ROOT) == ROOT / "chapters"
    assert claims.find_directory(ROOT / "chapters") == ROOT / "chapters"
    assert claims.find_directory(ROOT / "tests") == ROOT / "chapters"  # a parent's chapters/
    assert claims.find_directory(tmp_path) is None
    monkeypatch.setenv(claims.ENV, str(tmp_path))
    assert claims.find_directory(ROOT) == tmp_path
    with pytest.raises(FileNotFoundError, match="holds no claim files"):
        claims.load()


def test_every_claim_file_names_its_chapter_and_each_claim_once():
    chapters = {p.name.removesuffix(".md") for p in (ROOT / "chapters").glob("[0-9][0-9]_*.md")}
    files = {p.name.removesuffix(claims.SUFFIX) for p in (ROOT / "chapters").glob(f"*{claims.SUFFIX}")}
    assert files == chapters, f"a claim file without its chapter or a chapter without claims: {files ^ chapters}"
    for c in CLAIMS:
        number = int(c.chapter.split("/")[-1][:2])
        assert c.id.startswith(f"ch{number}-"), f"{c.id} is in chapter {number}'s file"


def write_claims(folder: Path, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"01_x{claims.SUFFIX}").write_text(text)


def test_a_malformed_claim_file_is_named(tmp_path):
    write_claims(tmp_path, '[[claim]]\nid = "ch1-a"\nkind = "at_most"\nexpected = 1.0\nlabel = "x"\n')
    with pytest.raises(ValueError, match=r"01_x.claims.toml: a \[\[claim\]\] needs id, statement"):
        claims.load(tmp_path)
    entry = '[[claim]]\nid = "ch1-a"\nstatement = "s"\nkind = "at_most"\nexpected = 1.0\nlabel = "x"\n'
    write_claims(tmp_path, entry + entry)
    with pytest.raises(ValueError, match="duplicate claim ids"):
        claims.load(tmp_path)


def test_a_learners_copy_without_claim_files_glues_unchecked(tmp_path, monkeypatch):
    from IPython import display as ipy_display

    shown = []
    monkeypatch.setattr(ipy_display, "display", lambda *a, **k: shown.append(a))
    monkeypatch.delenv(claims.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    claims.glue("ch1-deep-sigmoid-final-loss", 0.25)  # no claim files here: nothing to check against
    assert len(shown) == 1
