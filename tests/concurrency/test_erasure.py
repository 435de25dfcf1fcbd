"""Erasure (DSGVO Art. 17) while others write: each account anonymised exactly once.

Several people erase their own accounts at the same moment, through the API
(``POST /api/v1/me/erasure``) and the profile's form; two of them send it twice at once
from two clients (API and browser, two API clients). Meanwhile others comment, and an
admin erases a person who is posting comments right then. Afterwards:

- each erased account is anonymised, with exactly one "data.erased" entry in the audit
  log. ``privacy.erase`` checks "not erased yet" and then anonymises: on PostgreSQL two
  requests at once both passed the check and both wrote an entry, unless the account's
  row is locked before the check (services.locks);
- of the two requests of one person exactly one succeeds; the other is told (401: the
  account no longer signs in; 409 ``already_erased``; the form's 422), never a 500;
- the audit log's hash chain still verifies (``flask --app consult audit verify``);
- what the erased people wrote stays, with their organisation, signed by the erased
  name; everyone else's comments are stored exactly once;
- the person erased by the admin: every comment answered 201 is stored, and once a
  comment was refused (401), none after it got in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, select

from consult.models import AuditEntry, Feedback, User
from consult.services.privacy import ERASED, ERASED_DOMAIN, ERASED_NAME
from tests.concurrency.conftest import LiveDatabase
from tests.concurrency.people import Member, add_people, signed_in
from tests.servers import PASSWORD, Client, Outcome, Seed, Server, run_together

LABEL = "Löschprobe"
#: Comments of each person who is not erased, and of the one the admin erases.
COMMENTS_EACH = 4
VICTIM_COMMENTS = 8
#: Who is erased how (indexes into the test's people): both ways at once, two API
#: clients at once, once by the API, once by the form, by the admin; the rest comment.
BOTH_WAYS, TWICE_BY_API, BY_API, BY_FORM, BY_ADMIN = (0,), (1,), (2, 3), (4,), 5
PEOPLE = 10
ERASED_PEOPLE = (*BOTH_WAYS, *TWICE_BY_API, *BY_API, *BY_FORM, BY_ADMIN)


def _comment_path(seed: Seed, n: int) -> str:
    section = seed.sections[n % len(seed.sections)]
    return f"/api/v1/revisions/{seed.revision_id}/sections/{section.section_id}/comments"


def _comment(client: Client, seed: Seed, n: int, text: str) -> Outcome:
    body = {"body": f"{LABEL}: {text}", "anchor": None}
    return client.call("POST", _comment_path(seed, n), "comment", json=body)


def test_erasures_at_once_anonymise_each_person_exactly_once(
    server: Server,
    live_database: LiveDatabase,
    seed: Seed,
    engine_for_counting: Engine,
    workdir: Path,
) -> None:
    mark = server.log_mark()
    members, admins = add_people(live_database, workdir, "loesch", PEOPLE, admins=1)
    apis = [Client(server, f"A{n + 1}", token=m.person.token) for n, m in enumerate(members)]
    second_api = Client(
        server, f"A{TWICE_BY_API[0] + 1}b", token=members[TWICE_BY_API[0]].person.token
    )
    browsers: dict[int, tuple[Client, str]] = {}
    outcomes: dict[str, list[Outcome]] = {}
    try:
        # Everyone has written something before (what must stay with the organisation).
        before = [
            _comment(apis[n], seed, n, f"vorher von {m.person.name}") for n, m in enumerate(members)
        ]
        assert all(o.status == 201 for o in before), [o.describe() for o in before]
        for n in (*BOTH_WAYS, *BY_FORM):
            browsers[n] = signed_in(server, members[n].person, f"W{n + 1}")
        admin, admin_csrf = signed_in(server, admins[0], "Admin")
        browsers[-1] = (admin, admin_csrf)

        def erase_by_api(client: Client) -> list[Outcome]:
            return [client.call("POST", "/api/v1/me/erasure", "erase")]

        def erase_by_form(n: int) -> list[Outcome]:
            client, csrf = browsers[n]
            data = {"csrf_token": csrf, "confirmed": "1", "current_password": PASSWORD}
            return [client.call("POST", "/profile/erasure", "erase", data=data)]

        def erase_by_admin() -> list[Outcome]:
            victim = members[BY_ADMIN].person.id
            data = {"csrf_token": admin_csrf, "confirmed": "1"}
            return [admin.call("POST", f"/admin/users/{victim}/erase", "admin erase", data=data)]

        def comment_often(n: int, times: int) -> list[Outcome]:
            return [
                _comment(apis[n], seed, n, f"Nr. {k + 1} von Person {n + 1} im Gedränge")
                for k in range(times)
            ]

        tasks: dict[str, Callable[[], list[Outcome]]] = {}
        for n in BOTH_WAYS:
            tasks[f"{n}:api"] = partial(erase_by_api, apis[n])
            tasks[f"{n}:form"] = partial(erase_by_form, n)
        for n in TWICE_BY_API:
            tasks[f"{n}:api"] = partial(erase_by_api, apis[n])
            tasks[f"{n}:api2"] = partial(erase_by_api, second_api)
        for n in BY_API:
            tasks[f"{n}:api"] = partial(erase_by_api, apis[n])
        for n in BY_FORM:
            tasks[f"{n}:form"] = partial(erase_by_form, n)
        tasks["admin"] = erase_by_admin
        tasks["victim"] = partial(comment_often, BY_ADMIN, VICTIM_COMMENTS)
        for n in range(PEOPLE):
            if n not in ERASED_PEOPLE:
                tasks[f"{n}:comments"] = partial(comment_often, n, COMMENTS_EACH)
        outcomes = dict(zip(tasks, run_together(list(tasks.values())), strict=True))
    finally:
        for client in [*apis, second_api, *(c for c, _ in browsers.values())]:
            client.close()
    server.check_alive()

    problems = _answers(outcomes, members)
    problems += _counted(engine_for_counting, members, admins[0].id, outcomes)
    verify = server.cli("audit", "verify")
    out, err = verify.communicate(timeout=120)
    if verify.returncode != 0:
        problems.append(
            f"`flask audit verify` exited with {verify.returncode}: "
            f"{out.decode(errors='replace').strip()} {err.decode(errors='replace')[-600:]}"
        )
    assert not problems, (
        f"{len(problems)} problems:\n" + "\n".join(problems[:25]) + "\n" + server.errors(since=mark)
    )


def _answers(outcomes: dict[str, list[Outcome]], members: tuple[Member, ...]) -> list[str]:
    """How each request was answered."""
    problems = []
    erased_ok = {"api": 202, "api2": 202, "form": 302}
    for key, found in outcomes.items():
        for outcome in found:
            if outcome.status >= 500 or outcome.status == 0:
                problems.append(f"{key}: {outcome.describe()[:300]}")
    for n in ERASED_PEOPLE:
        if n == BY_ADMIN:
            continue
        mine = {
            key.split(":")[1]: found[0]
            for key, found in outcomes.items()
            if key.startswith(f"{n}:")
        }
        won = [way for way, o in mine.items() if o.status == erased_ok[way]]
        lost = {way: o.status for way, o in mine.items() if way not in won}
        if len(won) != 1 or any(status not in (401, 409, 422) for status in lost.values()):
            problems.append(
                f"{members[n].person.email}: {len(won)} of {len(mine)} erasures succeeded, "
                f"answers { ({way: o.status for way, o in mine.items()}) }; expected one success "
                "and the other told 401, 409 or 422"
            )
    admin = outcomes["admin"][0]
    if admin.status != 302:
        problems.append(f"the admin's erasure: {admin.describe()[:300]}")
    victim = [o.status for o in outcomes["victim"]]
    refused = victim.index(401) if 401 in victim else len(victim)
    if set(victim[:refused]) - {201} or set(victim[refused:]) - {401}:
        problems.append(
            f"the person erased by the admin: comments answered {victim}; expected 201s, then "
            "only 401 once the account was erased"
        )
    for n in range(len(members)):
        if n not in ERASED_PEOPLE:
            statuses = [o.status for o in outcomes[f"{n}:comments"]]
            if set(statuses) != {201}:
                problems.append(f"person {n + 1} commenting meanwhile: {statuses}")
    return problems


def _counted(
    engine: Engine, members: tuple[Member, ...], admin_id: int, outcomes: dict[str, list[Outcome]]
) -> list[str]:
    """Anonymised once each (one audit entry), their feedback kept, nothing else lost."""
    ids = [m.person.id for m in members]
    with engine.connect() as conn:
        users = {
            row.id: row
            for row in conn.execute(
                select(User.id, User.name, User.email, User.erased_at).where(User.id.in_(ids))
            )
        }
        entries = conn.execute(
            select(AuditEntry.object_id, AuditEntry.actor_id).where(
                AuditEntry.action == ERASED,
                AuditEntry.object_type == "user",
                AuditEntry.object_id.in_(ids),
            )
        ).all()
        feedback = conn.execute(
            select(Feedback.author_id, Feedback.organisation_id, Feedback.body).where(
                Feedback.author_id.in_(ids), Feedback.body.startswith(LABEL)
            )
        ).all()
    problems = []
    audited = Counter(entry.object_id for entry in entries)
    for n, member in enumerate(members):
        user, person = users[member.person.id], member.person
        if n in ERASED_PEOPLE:
            if user.erased_at is None or user.name != ERASED_NAME:
                problems.append(f"{person.email} is not erased: {user.name!r}")
            if not user.email.endswith("@" + ERASED_DOMAIN):
                problems.append(f"{person.email}: the address is still {user.email!r}")
            if audited[person.id] != 1:
                problems.append(
                    f"{person.email}: {audited[person.id]} audit entries {ERASED!r}, expected 1"
                )
        elif user.erased_at is not None or audited[person.id]:
            problems.append(f"{person.email} was erased, though nobody asked")
    by_admin = [e.actor_id for e in entries if e.object_id == members[BY_ADMIN].person.id]
    if by_admin and by_admin != [admin_id]:
        problems.append(f"the admin's erasure is recorded as done by {by_admin}")

    # What each person wrote stays, with their organisation: one comment from before, and
    # every comment answered 201 during the race (the victim's and the others').
    written = Counter((f.author_id, f.organisation_id) for f in feedback)
    for n, member in enumerate(members):
        accepted = 1 + sum(
            o.status == 201
            for key in (f"{n}:comments", "victim" if n == BY_ADMIN else "")
            for o in outcomes.get(key, [])
        )
        key = (member.person.id, member.organisation_id)
        if (
            written[key] != accepted
            or sum(count for (author, _org), count in written.items() if author == member.person.id)
            != accepted
        ):
            problems.append(
                f"{member.person.email}: {written[key]} comments stored with the organisation, "
                f"{accepted} were accepted"
            )
    return problems
