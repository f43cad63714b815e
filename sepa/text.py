"""The wording of the SEPA core mandate (EPC rulebook), in the signer's language: the text shown
before signing is the text stored and printed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Parties:
    creditor_name: str
    creditor_id: str
    creditor_address: str
    debtor_name: str
    debtor_address: str


def mandate_text(parties: Parties, language: str) -> str:
    """The mandate's wording for `parties`, in `language` ("fr" or "en")."""
    with translation.override(language):
        values = {"creditor": parties.creditor_name}
        lines = [
            _("SEPA Direct Debit Mandate"),
            "",
            _("Creditor: %(name)s") % {"name": parties.creditor_name},
            _("Creditor identifier (ICS): %(ics)s") % {"ics": parties.creditor_id},
            _("Address: %(address)s") % {"address": parties.creditor_address},
            "",
            _("Debtor: %(name)s") % {"name": parties.debtor_name},
            _("Address: %(address)s") % {"address": parties.debtor_address},
            "",
            _("Type of payment: recurrent payment"),
            "",
            _(
                "By signing this mandate form, you authorise (A) %(creditor)s to send "
                "instructions to your bank to debit your account and (B) your bank to debit "
                "your account in accordance with the instructions from %(creditor)s."
            )
            % values,
            _(
                "As part of your rights, you are entitled to a refund from your bank under the "
                "terms and conditions of your agreement with your bank. A refund must be claimed "
                "within 8 weeks starting from the date on which your account was debited."
            ),
            _("Your rights are explained in a statement that you can obtain from your bank."),
            _(
                "You will be told of each debit, its amount and its date at least the number "
                "of days before it that %(creditor)s has set in its portal."
            )
            % values,
        ]
    return "\n".join(lines)


def text_digest(text: str) -> str:
    """A short fingerprint of the text shown, sent back with the signature: a text that
    changed in between (the firm edited its identity) is never signed unseen."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]
