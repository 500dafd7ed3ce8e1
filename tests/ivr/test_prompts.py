"""The prompt catalogue and the WAV files built from it."""

from __future__ import annotations

import re
import subprocess
import wave
from dataclasses import replace
from pathlib import Path

import pytest

from callcenter.config import PROJECT_ROOT
from ivr.flows.consultation import CLOSED_REASONS
from ivr.menu import load_menu
from ivr.prompts import PromptCatalogueError, load_prompt_texts
from ivr.prompts.build import PromptBuildError, build_prompts, service_prompt_texts
from ticketing.workflow import TicketStatus

SERVICE = {
    "code": "passport",
    "name": "گذرنامه",
    "menu_key": "1",
    "office_hours": "شنبه تا چهارشنبه، هشت تا دوازده",
    "required_documents": "کارت ملی",
    "online_service": "",
}


def wav_format(path) -> tuple[int, int, int, int]:
    with wave.open(str(path)) as audio:
        return (
            audio.getframerate(),
            audio.getsampwidth(),
            audio.getnchannels(),
            audio.getnframes(),
        )


def test_catalogue_has_every_fragment_and_status():
    texts = load_prompt_texts()
    names = set(texts)

    assert {f"digit/{d}" for d in range(10)} <= names
    assert {f"month/{m}" for m in range(1, 13)} <= names
    assert {f"status/{status.value}" for status in TicketStatus} <= names
    assert texts["month/12"] == "اسفند"
    assert texts["number/and"] == "و"


def test_catalogue_text_is_normalized(tmp_path):
    path = tmp_path / "prompts.yaml"
    path.write_text('a/b: "كد رهگيري ۱۲"\n', encoding="utf-8")
    assert load_prompt_texts(path) == {"a/b": "کد رهگیری 12"}


def test_catalogue_without_text_is_an_error(tmp_path):
    path = tmp_path / "prompts.yaml"
    path.write_text('a/b: ""\n', encoding="utf-8")
    with pytest.raises(PromptCatalogueError, match="a/b"):
        load_prompt_texts(path)


def test_a_prompt_given_twice_is_an_error(tmp_path):
    path = tmp_path / "prompts.yaml"
    path.write_text("a/b: یک\nc/d: دو\na/b: سه\n", encoding="utf-8")

    with pytest.raises(PromptCatalogueError) as caught:
        load_prompt_texts(path)

    assert "prompts.yaml:3: `a/b` is given twice (first on line 1)" in str(caught.value)


def test_every_prompt_the_flows_name_is_in_the_catalogue():
    # The flows name prompts in code; the menu file is checked at load.
    names = set(load_prompt_texts())
    load_menu(PROJECT_ROOT / "ivr/menus/main.yaml", names)
    sources = [*(PROJECT_ROOT / "ivr/flows").glob("*.py"), PROJECT_ROOT / "ivr/call.py"]
    named = set()
    for source in sources:
        named |= set(re.findall(r'"([a-z_]+/[a-z_]+)"', source.read_text()))
    named |= {f"hours/closed_{reason}" for reason in CLOSED_REASONS}

    assert len(named) > 20
    assert named - names == set()


def test_service_prompts_from_the_catalogue():
    texts = service_prompt_texts([SERVICE])
    assert texts["service/passport/menu"] == "برای گذرنامه، کلید یک را بزنید."
    assert "کارت ملی" in texts["service/passport/documents"]
    assert "اینترنتی" in texts["service/passport/online"]


def test_build_makes_8khz_mono_wavs_and_skips_unchanged(settings):
    only = ["main/greeting", "digit/7", "service/passport/hours"]

    first = build_prompts(settings, [SERVICE], only=only)
    assert sorted(first.built) == sorted(only)

    target = settings.sounds_path / "main/greeting.wav"
    rate, width, channels, frames = wav_format(target)
    assert (rate, width, channels) == (8000, 2, 1)
    assert frames > 4000

    again = build_prompts(settings, [SERVICE], only=only)
    assert sorted(again.unchanged) == sorted(only)
    assert again.built == []


def test_changed_text_is_built_again(settings):
    build_prompts(settings, [SERVICE], only=["service/passport/hours"])
    changed = dict(SERVICE, office_hours="فقط شنبه")
    report = build_prompts(settings, [changed], only=["service/passport/hours"])
    assert report.built == ["service/passport/hours"]


def test_recorded_prompt_overrides_the_generated_one(settings, tmp_path):
    build_prompts(settings, [], only=["main/greeting"])

    # A folder of recordings of the center's own, in tmp.
    recorded_dir = tmp_path / "recorded"
    (recorded_dir / "main").mkdir(parents=True)
    source = recorded_dir / "main" / "greeting.wav"
    # A 44.1 kHz stereo 'recording' of half a second of a tone.
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            "44100",
            "-c",
            "2",
            str(source),
            "synth",
            "0.5",
            "sine",
            "440",
        ],
        check=True,
    )
    custom = replace(settings, recorded_prompts_dir=str(recorded_dir))

    report = build_prompts(custom, [], only=["main/greeting"])
    assert report.recorded == ["main/greeting"]
    rate, width, channels, frames = wav_format(custom.sounds_path / "main/greeting.wav")
    assert (rate, width, channels, frames) == (8000, 2, 1, 4000)

    assert build_prompts(custom, [], only=["main/greeting"]).unchanged == [
        "main/greeting"
    ]


def test_unknown_prompt_name_is_refused(settings):
    with pytest.raises(PromptBuildError, match="no/such"):
        build_prompts(settings, [], only=["no/such"])


def test_unsafe_service_code_is_refused(settings):
    evil = dict(SERVICE, code="../../etc")
    with pytest.raises(PromptBuildError, match="safe file name"):
        build_prompts(settings, [evil])


def test_service_prompts_come_from_the_catalogue_in_the_database(settings, session):
    from ticketing.catalogue import load_catalogue

    load_catalogue(session, settings.path(settings.catalogue_file))
    session.commit()

    report = build_prompts(settings, only=["service/tax/hours", "service/tax/menu"])

    assert sorted(report.built) == ["service/tax/hours", "service/tax/menu"]
    assert (settings.sounds_path / "service/tax/hours.wav").stat().st_size > 1000


def test_prompts_build_command_without_a_database_says_what_to_do(settings, tmp_path):
    from click.testing import CliRunner

    from callcenter.config import use_settings
    from ivr.cli import prompts

    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    use_settings(replace(settings, database_url=empty))

    result = CliRunner().invoke(prompts, ["build"])

    assert result.exit_code == 1
    assert "callcenter db upgrade" in result.output
    assert "Traceback" not in result.output


# Start-up checks ---------------------------------------------------------------


def test_the_code_prompt_list_names_every_prompt_the_code_plays():
    from ivr.prompts.used import FLOW_PROMPTS, code_prompt_names

    sources = [
        *(PROJECT_ROOT / "ivr/flows").glob("*.py"),
        *(PROJECT_ROOT / "ivr" / name for name in ("call.py", "choice.py")),
        PROJECT_ROOT / "ivr/navigator.py",
    ]
    named = set()
    for source in sources:
        named |= set(re.findall(r'"([a-z_]+/[a-z_]+)"', source.read_text()))

    assert named - {"number/and", "time/minutes"} <= FLOW_PROMPTS
    assert code_prompt_names() <= set(load_prompt_texts())


def _catalogue_without(settings, tmp_path, name: str):
    source = settings.path(settings.prompt_text_file).read_text(encoding="utf-8")
    kept = [line for line in source.splitlines() if not line.startswith(f"{name}:")]
    assert len(kept) < len(source.splitlines())
    path = tmp_path / "catalogue.yaml"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return replace(settings, prompt_text_file=str(path))


def test_start_up_stops_when_a_prompt_the_code_plays_is_removed(settings, tmp_path):
    from click.testing import CliRunner

    from callcenter.config import use_settings
    from ivr.agi.cli import agi

    use_settings(_catalogue_without(settings, tmp_path, "request/phone_invalid"))

    result = CliRunner().invoke(agi, ["serve"])

    assert result.exit_code == 1
    assert "missing from the prompt catalogue: request/phone_invalid" in result.output


def test_start_up_stops_when_a_menu_prompt_is_removed(settings, tmp_path):
    from ivr.flows import startup_check
    from ivr.menu import MenuError

    lacking = _catalogue_without(settings, tmp_path, "main/greeting")

    with pytest.raises(MenuError, match="'main/greeting' is not in the prompt"):
        startup_check(lacking)


def test_start_up_warns_about_prompts_without_a_wav(settings, session, caplog):
    import logging

    from ivr.flows import startup_check
    from ticketing.catalogue import load_catalogue

    load_catalogue(session, settings.path(settings.catalogue_file))
    session.commit()
    build_prompts(settings, [], only=["main/greeting"])

    with caplog.at_level(logging.WARNING):
        startup_check(settings)

    warning = next(r.getMessage() for r in caplog.records if "no WAV" in r.getMessage())
    assert str(settings.sounds_path) in warning
    assert "callcenter prompts build" in warning
    assert "service/tax/menu" in warning
    assert "main/menu" in warning
    assert "main/greeting," not in warning


def test_a_new_service_gets_its_prompts_built(settings):
    from ivr.prompts.build import build_service_prompts

    report = build_service_prompts(settings, [SERVICE])

    assert sorted(report.built) == [
        "service/passport/documents",
        "service/passport/hours",
        "service/passport/menu",
        "service/passport/online",
    ]
    assert (settings.sounds_path / "service/passport/menu.wav").stat().st_size > 1000
    assert not (settings.sounds_path / "main/greeting.wav").exists()


def test_start_up_without_the_database_still_lists_missing_wavs(
    settings, tmp_path, caplog
):
    import logging

    from ivr.flows import startup_check

    no_db = replace(settings, database_url=f"sqlite:///{tmp_path / 'empty.db'}")

    with caplog.at_level(logging.WARNING):
        startup_check(no_db)

    messages = [r.getMessage() for r in caplog.records]
    assert any("service prompts not checked" in m for m in messages)
    assert any("no WAV" in m and "main/greeting" in m for m in messages)


# Recordings an admin drops in ----------------------------------------------------


def _tone(path) -> None:
    """Half a second of tone at path: a stand-in for a recording."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["sox", "-n", "-r", "44100", str(path), "synth", "0.5", "sine", "440"],
        check=True,
    )


def _with_recordings(settings, tmp_path):
    from callcenter.config import use_settings

    recorded_dir = tmp_path / "recorded"
    recorded_dir.mkdir()
    (recorded_dir / "README.md").write_text("how to name files\n")
    custom = replace(settings, recorded_prompts_dir=str(recorded_dir))
    use_settings(custom)
    return custom, recorded_dir


def test_prompts_build_names_a_misspelt_recording(settings, tmp_path):
    from click.testing import CliRunner

    from ivr.cli import prompts

    custom, recorded_dir = _with_recordings(settings, tmp_path)
    _tone(recorded_dir / "main" / "greetng.wav")

    result = CliRunner().invoke(prompts, ["build", "--no-services"])

    assert result.exit_code == 0
    assert "0 from recordings" in result.stdout
    assert "1 recorded files not used" in result.stdout
    warning = result.stderr
    assert f"{recorded_dir / 'main' / 'greetng.wav'} matches no prompt" in warning
    assert "did you mean main/greeting (file main/greeting.wav)?" in warning
    assert "README" not in warning

    strict = CliRunner().invoke(prompts, ["build", "--no-services", "--strict"])
    assert strict.exit_code == 1
    assert "greetng.wav matches no prompt" in strict.stderr

    # Renamed right, it is used and the strict build passes.
    (recorded_dir / "main" / "greetng.wav").rename(
        recorded_dir / "main" / "greeting.wav"
    )
    fixed = CliRunner().invoke(prompts, ["build", "--no-services", "--strict"])
    assert fixed.exit_code == 0, fixed.stderr
    assert "1 from recordings" in fixed.stdout
    assert fixed.stderr == ""


def test_unused_recordings_name_shadowed_and_unknown_files(settings, tmp_path):
    from ivr.prompts.build import unused_recordings

    recorded_dir = tmp_path / "recorded"
    _tone(recorded_dir / "main" / "greeting.wav")
    _tone(recorded_dir / "main" / "greeting.flac")
    _tone(recorded_dir / "qqqq.wav")
    (recorded_dir / ".DS_Store").write_text("")

    unused = unused_recordings(recorded_dir, ["main/greeting", "digit/7"])

    by_path = {str(u.path): u for u in unused}
    assert set(by_path) == {"main/greeting.wav", "qqqq.wav"}
    shadowed = by_path["main/greeting.wav"]
    assert shadowed.shadowed_by == Path("main/greeting.flac")
    assert "is the recording of prompt main/greeting" in shadowed.describe(recorded_dir)
    assert by_path["qqqq.wav"].closest is None
    assert "prompts list" in by_path["qqqq.wav"].describe(recorded_dir)


def test_build_without_services_leaves_service_recordings_unjudged(settings, tmp_path):
    from click.testing import CliRunner

    from ivr.cli import prompts

    _, recorded_dir = _with_recordings(settings, tmp_path)
    _tone(recorded_dir / "service" / "passport" / "menu.wav")

    result = CliRunner().invoke(prompts, ["build", "--no-services", "--strict"])

    assert result.exit_code == 0
    assert result.stderr == ""


def test_prompts_list_says_what_to_record_and_what_is_recorded(settings, tmp_path):
    from click.testing import CliRunner

    from ivr.cli import prompts

    _, recorded_dir = _with_recordings(settings, tmp_path)
    _tone(recorded_dir / "main" / "greeting.wav")
    _tone(recorded_dir / "digit" / "seven.wav")
    texts = load_prompt_texts()

    result = CliRunner().invoke(prompts, ["list", "--no-services"])

    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert set(lines) == set(texts)
    assert "recorded main/greeting.wav" in lines["main/greeting"]
    assert lines["main/greeting"].endswith(texts["main/greeting"])
    assert "generated" in lines["digit/7"]
    assert lines["digit/7"].endswith(texts["digit/7"])
    assert "digit/seven.wav matches no prompt" in result.stderr


def test_prompts_list_shows_the_service_prompts_from_the_database(settings, session):
    from click.testing import CliRunner

    from ivr.cli import prompts
    from ticketing.catalogue import load_catalogue

    load_catalogue(session, settings.path(settings.catalogue_file))
    session.commit()

    result = CliRunner().invoke(prompts, ["list"])

    assert result.exit_code == 0, result.output
    assert any(
        line.startswith("service/tax/menu ") for line in result.stdout.splitlines()
    )


def test_catalogue_texts_and_names_are_read_as_written(tmp_path):
    path = tmp_path / "prompts.yaml"
    path.write_text("a/1: یک\na/۱: یک\nb/yes: yes\nc/time: 8:30\n", encoding="utf-8")

    texts = load_prompt_texts(path)

    assert texts == {"a/1": "یک", "a/۱": "یک", "b/yes": "yes", "c/time": "8:30"}


def test_catalogue_problems_name_their_lines(tmp_path):
    path = tmp_path / "prompts.yaml"
    path.write_text('a/b: یک\nc/d: ""\ne/f:\n  - x\n', encoding="utf-8")

    with pytest.raises(PromptCatalogueError) as caught:
        load_prompt_texts(path)

    message = str(caught.value)
    assert "prompts.yaml:2: prompt 'c/d' has no text" in message
    assert "prompts.yaml:3: `e/f` must be text" in message
