"""The service catalogue file: the shipped sample, errors with lines, upserts."""

from __future__ import annotations

import textwrap

import pytest

from callcenter.config import PROJECT_ROOT
from ticketing.catalogue import (
    CatalogueError,
    active_services,
    load_catalogue,
    read_catalogue,
)

SAMPLE = PROJECT_ROOT / "data" / "services.yaml"


def by_key(session):
    """The active services by the key a caller presses for them."""
    return {service.menu_key: service for service in active_services(session)}


def _write(tmp_path, body):
    path = tmp_path / "services.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_the_shipped_catalogue_loads(session):
    services = load_catalogue(session, SAMPLE)

    assert 4 <= len(services) <= 6
    assert [s.menu_key for s in active_services(session)] == [
        str(k) for k in range(1, len(services) + 1)
    ]
    for service in services:
        assert service.name and service.office_hours and service.required_documents
        assert service.online_url.startswith("https://")
    passport = by_key(session)["1"]
    assert passport.code == "passport"
    assert "\n" in passport.required_documents


def test_reload_updates_and_deactivates(session, tmp_path):
    load_catalogue(session, SAMPLE)
    before = {s.code: s.id for s in active_services(session)}
    path = _write(
        tmp_path,
        """\
        services:
          - code: passport
            menu_key: 2
            name: گذرنامه
            office_hours: شنبه تا چهارشنبه
            required_documents: كارت ملي
          - code: tax
            menu_key: 1
            name: مالیات
            office_hours: شنبه تا چهارشنبه
            required_documents: کارت ملی
            online_service: سامانه مالیاتی
            online_url: https://my.tax.gov.ir
        """,
    )

    load_catalogue(session, path)

    active = active_services(session)
    assert [s.code for s in active] == ["passport", "tax"]
    assert active[0].id == before["passport"]
    assert active[0].menu_key == "2"
    assert active[0].required_documents == "کارت ملی"
    assert "3" not in by_key(session)


def _problems(tmp_path, body):
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(_write(tmp_path, body))
    return str(caught.value)


def test_missing_field_names_file_and_line(tmp_path):
    message = _problems(
        tmp_path,
        """\
        services:
          - code: passport
            menu_key: 1
            name: گذرنامه
            office_hours: صبح
            required_documents: کارت ملی
          - code: tax
            menu_key: 2
            office_hours: صبح
            required_documents: کارت ملی
        """,
    )

    assert "services.yaml:7: service is missing `name`" in message


def test_duplicate_key_and_code(tmp_path):
    message = _problems(
        tmp_path,
        """\
        services:
          - code: passport
            menu_key: 1
            name: a
            office_hours: b
            required_documents: c
          - code: passport
            menu_key: 1
            name: a
            office_hours: b
            required_documents: c
        """,
    )

    assert "services.yaml:7: code 'passport' is already used on line 2" in message
    assert "services.yaml:8: menu_key '1' is already used on line 3" in message


def test_bad_values(tmp_path):
    message = _problems(
        tmp_path,
        """\
        services:
          - code: Passport Office
            menu_key: 0
            name: a
            office_hours: ""
            required_documents: c
            online_url: www.example.org
            colour: blue
        """,
    )

    assert ":2: `code` must be latin" in message
    assert ":3: `menu_key` must be one of 1 to 9" in message
    assert ":5: `office_hours` is empty" in message
    assert ":7: `online_url` must start with https://" in message
    assert ":8: unknown field `colour`" in message


def test_a_field_given_twice_names_both_lines(tmp_path):
    message = _problems(
        tmp_path,
        """\
        services:
          - code: passport
            menu_key: 1
            name: a
            office_hours: b
            required_documents: c
            name: b
        """,
    )

    assert ":7: `name` is given twice (first on line 4)" in message


def test_broken_yaml_and_empty_files(tmp_path):
    broken = _problems(tmp_path, "services:\n  - code: a\n   menu_key: [1\n")
    assert "services.yaml:2: not valid YAML" in broken
    assert "on line 3" in broken
    assert "the file is empty" in _problems(tmp_path, "")
    assert "no `services:` list" in _problems(tmp_path, "other: 1\n")
    assert "lists no services" in _problems(tmp_path, "services: []\n")
    assert "cannot read" in str(
        pytest.raises(CatalogueError, read_catalogue, tmp_path / "none.yaml").value
    )


def test_nothing_is_written_when_the_file_is_bad(session, tmp_path):
    load_catalogue(session, SAMPLE)
    path = _write(tmp_path, "services:\n  - code: x\n")

    with pytest.raises(CatalogueError):
        load_catalogue(session, path)

    assert len(active_services(session)) >= 4


def test_a_list_item_or_field_that_is_not_text_names_its_line(tmp_path):
    message = _problems(
        tmp_path,
        """\
        services:
          - code: passport
            menu_key: 1
            name: گذرنامه
            office_hours: {شنبه: صبح}
            required_documents:
              - کارت ملی
              - برای آقایان: وضعیت نظام وظیفه
              - [عکس, شناسنامه]
              -
            online_service:
              - سامانه
        """,
    )

    assert (
        ':5: `office_hours` must be text (": " makes it `key: value`; '
        'put it in quotes: "شنبه: صبح")'
    ) in message
    assert (
        ":8: an item of `required_documents` must be text "
        '(": " makes it `key: value`; put it in quotes: '
        '"برای آقایان: وضعیت نظام وظیفه")'
    ) in message
    assert ":9: an item of `required_documents` must be text" in message
    assert ":10: an item of `required_documents` is empty" in message
    assert ":11: `online_service` must be text" in message


def test_text_is_stored_as_written_and_digits_normalized(tmp_path):
    [service] = read_catalogue(
        _write(
            tmp_path,
            """\
            services:
              - code: tax
                menu_key: ۵
                name: مالیات
                office_hours: 7:30
                required_documents: [yes, "کارت ملی: اصل"]
            """,
        )
    )

    assert service["menu_key"] == "5"
    # YAML 1.1 alone reads 7:30 as 450 and yes as True.
    assert service["office_hours"] == "7:30"
    assert service["required_documents"] == "yes\nکارت ملی: اصل"


def test_a_second_services_header_is_refused(session, tmp_path):
    load_catalogue(session, SAMPLE)
    pasted = SAMPLE.read_text(encoding="utf-8") + (
        "\nservices:\n"
        "  - code: extra\n"
        "    menu_key: 6\n"
        "    name: a\n"
        "    office_hours: b\n"
        "    required_documents: c\n"
    )
    path = _write(tmp_path, pasted)
    header = pasted.splitlines().index("services:") + 1
    second = len(SAMPLE.read_text(encoding="utf-8").splitlines()) + 2

    with pytest.raises(CatalogueError) as caught:
        load_catalogue(session, path)

    assert (
        f"services.yaml:{second}: `services` is given twice (first on line {header})"
    ) in str(caught.value)
    assert len(active_services(session)) >= 4


def test_the_shipped_documents_are_plain_text(session):
    load_catalogue(session, SAMPLE)

    for service in active_services(session):
        assert "{" not in service.required_documents, service.code
    assert "برای آقایان: وضعیت نظام وظیفه" in by_key(session)["1"].required_documents
