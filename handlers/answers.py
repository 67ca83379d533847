"""Questions answered from the knowledge file (data/knowledge.toml) instead of opening a draft: who handles what,
contact numbers, hours, how the service works and where the resident's reports stand; with an offer to file the
problem a question describes."""
from __future__ import annotations

from bot import texts
from bot.cases.lookups import recent_resident_tickets
from bot.cases.statuses import status_label
from bot.catalogue.snapshot import CatalogueSnapshot
from bot.catalogue.working_calendar import check_deadline_spec
from bot.conversation.intents import question_in
from bot.conversation.turn import Reply, Turn
from bot.understanding.features import normalise
from bot.understanding.knowledge import Asked
from models import Step

MAX_OFFERED_CHARS = 2000


def answer(turn: Turn) -> Reply:
    """Answer the question; offer to file what it describes when no draft is open, else say the draft is kept."""
    content = turn.inbound.content
    asked = question_in(content, turn.catalogue)
    assert asked is not None  # the intent QUESTION is a question_in match
    lines = [_answer_text(turn, asked)]
    if turn.draft is not None:
        lines.append(texts.DRAFT_KEPT_CHOOSING if turn.step == Step.CHOOSING else texts.DRAFT_KEPT)
    else:
        problem = problem_described(content, asked, turn.catalogue)
        if problem:
            turn.resident.offered_report = problem[:MAX_OFFERED_CHARS]
            lines.append(texts.OFFER_TO_FILE)
    return Reply("\n".join(lines))


def problem_described(content: str, asked: Asked, catalogue: CatalogueSnapshot) -> str:
    """The words of a problem of one of our categories that the question also tells of ("楼下天天有人摆摊，这个归你们
    管吗" → 楼下天天有人摆摊); "" for a kind of problem in general ("这种事归谁管") or one we do not handle (物业)."""
    knowledge = catalogue.knowledge
    subject = knowledge.subject_in(content)
    if (subject is not None and not subject.offer) or knowledge.is_generic(content):
        return ""
    statement = knowledge.statement_of(content, asked.phrase)
    if not statement:
        return ""
    result = catalogue.classify(statement)
    return statement if result.category is not None and result.category != "other" else ""


def _answer_text(turn: Turn, asked: Asked) -> str:
    catalogue, content = turn.catalogue, turn.inbound.content
    knowledge = catalogue.knowledge
    code = asked.topic.code
    if code == "status":
        return _fill(catalogue, asked.topic.answer_for(content)) + _latest_ticket(turn)
    if code == "contact":
        department = _department_named(turn)
        if department is not None:
            return _contact_answer(catalogue, department)
    if code == "who_handles":
        subject = knowledge.subject_in(content)
        if subject is not None:
            return _fill(catalogue, subject.text, **_category_values(catalogue, subject.category))
        category = _category_asked(turn)
        if category is not None and knowledge.category_answer:
            return _fill(catalogue, knowledge.category_answer, **_category_values(catalogue, category))
    return _fill(catalogue, asked.topic.answer_for(content))


def _latest_ticket(turn: Turn) -> str:
    tickets = recent_resident_tickets(turn.resident.id, 1, session=turn.session)
    if not tickets:
        return "\n" + texts.NO_TICKETS
    ticket, catalogue = tickets[0], turn.catalogue
    return "\n" + texts.latest_ticket(number=ticket.number, category_name=catalogue.category_name(ticket.category_code),
                                      status_name=status_label(ticket.status),
                                      deadline_local=catalogue.calendar.local(ticket.deadline_at))


def _department_named(turn: Turn) -> str | None:
    """The department a contact question names (城管, 交警 …), or the office of the town it names."""
    catalogue = turn.catalogue
    contact = catalogue.knowledge.contact_in(turn.inbound.content)
    if contact is not None:
        return contact.department
    place = catalogue.place_in(turn.inbound.content)
    if place is not None and place.town_code:
        return catalogue.routing.office_by_town.get(place.town_code)
    return None


def _contact_answer(catalogue: CatalogueSnapshot, department: str) -> str:
    knowledge = catalogue.knowledge
    contact = next((c for c in knowledge.contacts if c.department == department and c.phone), None)
    name = catalogue.routing.department_names.get(department, department)
    if contact is not None:
        template = knowledge.contact_answer.get("with_phone", "{name}：{phone}")
        return _fill(catalogue, template, name=name, phone=contact.phone, phone_name=contact.phone_name)
    return _fill(catalogue, knowledge.contact_answer.get("without_phone", "{hotline}"), name=name)


def _category_asked(turn: Turn) -> str | None:
    """The category a "who handles …" question is about: its problem words, else the classifier's category,
    else the category of the draft the resident is filling in ("这个归你们管吗")."""
    catalogue = turn.catalogue
    folded = normalise(turn.inbound.content)
    matched = {code: sum(len(word) for word in category.keywords if normalise(word) and normalise(word) in folded)
               for code, category in catalogue.categories.items() if code != "other"}
    best = max(matched, key=lambda code: matched[code], default=None)
    if best is not None and matched[best]:
        return best
    result = catalogue.classify(turn.inbound.content)
    if result.category and result.category != "other":
        return result.category
    if turn.draft is not None and turn.draft.category_code and turn.draft.category_code != "other":
        return turn.draft.category_code
    return None


def _category_values(catalogue: CatalogueSnapshot, code: str | None) -> dict[str, str]:
    if code is None or code not in catalogue.categories:
        return {}
    lead = catalogue.routing.lead_by_category.get(code, "")
    return {"category": catalogue.category_name(code), "covers": catalogue.knowledge.covers.get(code, ""),
            "department": catalogue.routing.department_names.get(lead, lead)}


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # a placeholder the district mistyped stays visible rather than failing the reply


def _fill(catalogue: CatalogueSnapshot, text: str, **extra: str) -> str:
    """Put the catalogue's facts into a knowledge-file answer: {hotline}, {work_hours}, {categories} …"""
    calendar = catalogue.calendar
    deadlines = sorted((check_deadline_spec(c.deadline) for c in catalogue.categories.values()),
                       key=lambda spec: spec[0] * (1 if spec[1] == "h" else calendar.day_minutes / 60))
    values = _Values(
        hotline=catalogue.knowledge.hotline,
        work_hours=texts.working_hours(sorted(calendar.work_days),
                                       [(f"{b.hour}:{b.minute:02d}", f"{e.hour}:{e.minute:02d}")
                                        for b, e in calendar.windows]),
        categories="、".join(c.name for code, c in catalogue.categories.items() if code != "other"),
        towns="、".join(catalogue.routing.town_names.values()),
        deadlines=(f"{texts.deadline_words(*deadlines[0])}到 {texts.deadline_words(*deadlines[-1])}"
                   if deadlines else ""),
        how_to_report=texts.HOW_TO_REPORT, **extra)
    return text.format_map(values)
