"""SMS keywords for feature phones: what a text to Rangkul's number means, and its answer (ADR 0039).

``CEK`` (status and paid-through month), ``BAYAR n`` (a payment code for n months with the
amount), ``DAFTAR`` (how to register, with the nearest agent), ``BERHENTI``/``STOP`` (no more
reminders or campaigns), ``MULAI``/``START`` (messages again); anything else gets a short help
text. Case, spaces and punctuation do not matter (``cek``, ``Bayar#3``, ``BAYAR3``).

The sender is known only by a *verified* mobile number. A number several members share gets a
numbered list and the reply ``CEK 2`` / ``BAYAR 3 2`` picks; a number with no member gets the
registration text. Answers are plain Indonesian, one SMS (160 characters) where possible, and
never carry a NIK. The portal registers ``sms_answer`` with the messaging layer, which stores the
text, calls this once per provider message and queues the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from rangkul.agents.nearby import agents_near
from rangkul.audit.actors import Actor
from rangkul.audit.services import audit_record
from rangkul.contributions.models import MemberStatusValue
from rangkul.contributions.payment_codes import payment_code_format
from rangkul.contributions.selectors import worker_status
from rangkul.contributions.services import bill_issue
from rangkul.core.errors import ApplicationError
from rangkul.core.money import format_rupiah
from rangkul.messaging.inbound import InboundAnswer, InboundSms
from rangkul.messaging.models import OptOutSource
from rangkul.messaging.optout import STOP_WORDS, is_opted_out, optout_cancel, optout_record
from rangkul.regions.models import District
from rangkul.registry.models import Worker
from rangkul.registry.selectors import workers_for_verified_phone

# Keyword → command. Common spellings and English twins included; STOP words are messaging's own.
KEYWORDS: dict[str, str] = {
    **dict.fromkeys(("CEK", "CEKSTATUS", "CHECK", "STATUS", "SALDO"), "check"),
    **dict.fromkeys(("BAYAR", "BYR", "PAY", "BAYARIURAN"), "pay"),
    **dict.fromkeys(("DAFTAR", "REG", "REGISTER", "DAFTARBPJS"), "register"),
    **dict.fromkeys(STOP_WORDS, "stop"),
    **dict.fromkeys(("START", "MULAI", "AKTIF"), "start"),
    **dict.fromkeys(("BANTUAN", "HELP", "INFO", "MENU"), "help"),
}
# Words people add after CEK that change nothing ("CEK STATUS", "CEK IURAN").
FILLER = frozenset({"STATUS", "IURAN", "BPJS"})
SMS_LENGTH = 160  # one GSM-7 message
_SPLIT = re.compile(r"(?<=[A-Z])(?=\d)|(?<=\d)(?=[A-Z])")

SMS = Actor.system("sms")


@dataclass(frozen=True)
class Command:
    name: str  # check, pay, register, stop, start, help
    numbers: tuple[int, ...] = ()
    rest: str = ""  # words after the keyword (DAFTAR <kecamatan>)


def command_parse(text: str) -> Command:
    """Read a text: the first word is the keyword, numbers after it are its arguments."""
    cleaned = re.sub(r"[^0-9A-Z]+", " ", (text or "").upper())
    words = _SPLIT.sub(" ", cleaned).split()
    if not words:
        return Command("help")
    # "BAYAR IURAN 3" and "CEK STATUS" as well as "BAYARIURAN".
    name = KEYWORDS.get(words[0]) or KEYWORDS.get("".join(words[:2]))
    if name is None:
        return Command("help")
    tail = words[1:] if words[0] in KEYWORDS else words[2:]
    tail = [w for w in tail if w not in FILLER] if name in {"check", "pay"} else tail
    numbers = []
    for word in tail:
        if not word.isdigit() or len(word) > 3:
            break
        numbers.append(int(word))
    return Command(name, tuple(numbers), " ".join(tail))


def sms_answer(message: InboundSms) -> InboundAnswer:
    """The messaging layer's answerer: recognise the keyword and answer it, in Indonesian."""
    command = command_parse(message.text)
    with translation.override(settings.LANGUAGE_CODE):
        text = _ANSWERS[command.name](message.sender, command)
    return InboundAnswer(keyword=command.name, text=text)


# --- the answers ------------------------------------------------------------------------------------


def _first_name(worker: Worker) -> str:
    return (worker.full_name.split() or [""])[0][:15].title()


def _choice(workers: list[Worker], example: str) -> str:
    listed = ", ".join(f"{i} {_first_name(w)}" for i, w in enumerate(workers, start=1))
    return _("Rangkul: this number belongs to %(count)s members: %(list)s. Reply %(example)s, and so on.") % {
        "count": len(workers),
        "list": listed,
        "example": example,
    }


def _pick(workers: list[Worker], index: int | None) -> Worker | None:
    if len(workers) == 1 and index in (None, 1):
        return workers[0]
    if index is not None and 1 <= index <= len(workers):
        return workers[index - 1]
    return None


def _month(period: object) -> str:
    return date_format(period.first_day, "F Y") if period is not None else _("none yet")  # type: ignore[attr-defined]


def answer_check(phone: str, command: Command) -> str:
    workers = workers_for_verified_phone(phone=phone)
    if not workers:
        return answer_register(phone, command)
    worker = _pick(workers, command.numbers[0] if command.numbers else None)
    if worker is None:
        return _choice(workers, "CEK 1, CEK 2")
    info = worker_status(worker=worker)
    values = {
        "name": _first_name(worker),
        "number": worker.membership_number,
        "month": _month(info.paid_through),
        "deadline": date_format(info.pay_arrears_by, "j F Y") if info.pay_arrears_by else "-",
    }
    if info.status == MemberStatusValue.ACTIVE:
        text = _("Rangkul %(name)s %(number)s: active, paid through %(month)s. Reply BAYAR 1 for a payment code.")
    elif info.status == MemberStatusValue.IN_ARREARS:
        text = _("Rangkul %(name)s %(number)s: in arrears, paid through %(month)s. Pay by %(deadline)s: reply BAYAR 1.")
    elif info.status == MemberStatusValue.ENDED:
        text = _("Rangkul %(name)s %(number)s: membership ended. Reply BAYAR 1 to be protected again.")
    else:
        text = _("Rangkul %(name)s %(number)s: registered, not paid yet. Reply BAYAR 1 for a payment code.")
    return text % values


def answer_pay(phone: str, command: Command) -> str:
    workers = workers_for_verified_phone(phone=phone)
    if not workers:
        return answer_register(phone, command)
    months = command.numbers[0] if command.numbers else 1
    worker = _pick(workers, command.numbers[1] if len(command.numbers) > 1 else None)
    if worker is None:
        return _choice(workers, f"BAYAR {months} 1, BAYAR {months} 2")
    if not 1 <= months <= 12:
        return _("Rangkul: you can pay for 1 to 12 months at once. Reply BAYAR 1 up to BAYAR 12.")
    try:
        # The member asked from their own verified number: the audit row names the SMS channel. A refusal
        # (nothing payable, credit covers it, a merged record) rolls back only the bill's savepoint.
        bill = bill_issue(actor=Actor.system(f"sms {worker.membership_number}"), worker=worker, months=months)
    except ApplicationError as exc:
        return _("Rangkul: %(reason)s") % {"reason": str(exc.message)}
    expires = timezone.localtime(bill.expires_at)
    return _(
        "Rangkul %(number)s: payment code %(code)s, %(amount)s for %(months)s months, valid until %(expires)s. "
        "Pay at a bank, minimarket or e-wallet."
    ) % {
        "number": worker.membership_number,
        "code": payment_code_format(bill.payment_code),
        "amount": format_rupiah(bill.amount_idr),
        "months": months,
        "expires": date_format(expires, "j M H:i"),
    }


def _fit(template: str, values: dict[str, str], name: str, value: str) -> str:
    """The text with ``value`` shortened (not below 8 characters) so that the whole fits one SMS."""
    text = template % {**values, name: value}
    excess = len(text) - SMS_LENGTH
    if excess > 0:
        text = template % {**values, name: value[: max(8, len(value) - excess)].rstrip()}
    return text


def _register_link() -> str:
    return urljoin(settings.OUTREACH_LINK_URL, reverse("portal:register"))


def answer_register(phone: str, command: Command) -> str:
    """How to register, with the nearest active agent: of the sender's village when the number is a
    member's (registering a relative), else of the district named after the keyword (``DAFTAR Tugu``)."""
    workers = workers_for_verified_phone(phone=phone, limit=1)
    village, district, area = "", "", ""
    if workers:
        village, area = workers[0].village_id, workers[0].village.name
    elif command.name == "register" and command.rest:
        found = District.objects.filter(name__iexact=command.rest).order_by("code").first()
        if found is not None:
            district, area = found.code, found.name
    agents = agents_near(village_code=village, district_code=district) if area else []
    link = _register_link()
    if agents:
        agent = agents[0]
        values = {"link": link, "code": agent.code, "area": area[:30]}
        branch = agent.branch
        if branch is not None and branch.phone:
            template = _(
                "Rangkul: register at %(link)s with your NIK and this number, or through agent %(agent)s "
                "(%(code)s), branch office %(phone)s."
            )
            values["phone"] = branch.phone
        else:
            template = _(
                "Rangkul: register at %(link)s with your NIK and this number, or through agent %(agent)s "
                "(%(code)s) in %(area)s."
            )
        return _fit(template, values, "agent", agent.user.full_name or agent.user.username)
    return _(
        "Rangkul: register at %(link)s with your NIK and this number, or through an agent or branch office. "
        "Reply DAFTAR and your district for the nearest agent."
    ) % {"link": link}


@transaction.atomic
def answer_stop(phone: str, command: Command) -> str:
    if not is_opted_out(phone):
        optout = optout_record(phone=phone, source=OptOutSource.SMS_STOP)
        audit_record(
            actor=SMS,
            action="messaging.opted_out",
            subject=optout,
            subject_label="sms_stop",
            after={"phone": phone, "source": OptOutSource.SMS_STOP.value},
        )
    return _("Rangkul: you will get no more reminders or news on this number. Reply MULAI to get them again.")


@transaction.atomic
def answer_start(phone: str, command: Command) -> str:
    if optout_cancel(phone=phone):
        audit_record(
            actor=SMS,
            action="messaging.opted_in",
            subject_type="messaging.optout",
            subject_label="sms_start",
            after={"phone": phone},
        )
    return _("Rangkul: reminders and news are on again for this number. Reply STOP to end them.")


def answer_help(phone: str, command: Command) -> str:
    return _(
        "Rangkul: reply CEK (your status), BAYAR 1-12 (payment code), DAFTAR (how to register) "
        "or STOP (no more reminders)."
    )


_ANSWERS = {
    "check": answer_check,
    "pay": answer_pay,
    "register": answer_register,
    "stop": answer_stop,
    "start": answer_start,
    "help": answer_help,
}
