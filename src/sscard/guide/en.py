"""The guide's texts in English (en).

Templates only: every number comes from the region's policy and every document name
from the table below, keyed by the names loss/rules.py uses.
"""

from __future__ import annotations

from sscard.claims import rules as claims
from sscard.guide import plans
from sscard.guide.catalog import Article, Catalog, Language
from sscard.loss import rules
from sscard.people.schemes import Scheme

MESSAGES: dict[str, str] = {
    # Phrases chosen by a policy value (build.py).
    "phrase.lift_same_day": "on the day it was made",
    "phrase.lift_next_day": "from the next day",
    "phrase.lift_after_days": "from {lift_after_days} days after it was made",
    "phrase.ready_on_the_spot": "on the spot, while you wait",
    "phrase.ready_after_days": (
        "{production_working_days} working days after you apply "
        "(counted on China's official holiday calendar, adjusted working weekends included)"
    ),
    "phrase.fee_yuan": "{yuan} yuan",
    "phrase.fee_free": "none, it is free",
    # R-LOSS-1, R-LOSS-4, R-LOSS-5
    "provisional.title": "Put a provisional hold on the card at once",
    "provisional.where": (
        "Hotline {hotline} (around the clock), the online service, a self-service kiosk at a service outlet "
        "or designated hospital, the counter of a service outlet, or your card's cooperative bank"
    ),
    "provisional.channels": (
        "As soon as you miss the card, report it through any one channel: call {hotline} and follow the voice "
        "prompts, giving the holder's name, ID number, card number and employer or unit; use the online service; "
        "use a touch-screen kiosk at a service outlet or a designated hospital; file a written report at an "
        "outlet's counter; or go to the bank that issued the card. Reports are taken on weekends and public "
        "holidays too."
    ),
    "provisional.effect": (
        "The hold takes effect the moment it is confirmed: the card stops paying at once, so nobody else can "
        "spend from it, and the cooperative bank is told."
    ),
    "provisional.hold": (
        "A provisional hold is temporary: unless it is made formal within {provisional_valid_days} days, it is "
        "released on its own and the card works again."
    ),
    "provisional.police": (
        "As the card was stolen, we also advise you to report the theft to the police. This is advice only: "
        "neither the loss report nor the replacement asks for a police receipt."
    ),
    # R-CARD-2, R-LIA-1, R-LIA-2
    "risk.title": "Know what is at risk",
    "risk.where": "Whoever takes your report tells you which case applies to your card",
    "risk.intro": "A lost card is most at risk in three cases, and your report records which one applies:",
    "risk.unactivated": (
        "if the card was never activated, a finder could try to activate and use it, so make the report formal "
        "and replace the card soon;"
    ),
    "risk.no_pin": (
        "if the card has no PIN, it could be used without one, so keep the report in force until you find or "
        "replace the card;"
    ),
    "risk.pin_changed": (
        "if you changed the PIN yourself and the new one is written down or easy to guess, make the report "
        "formal and replace the card."
    ),
    "risk.liability": (
        "Charges made before the report took effect are yours to bear; a charge made after it (say, at a "
        "pharmacy whose terminal had not yet downloaded the invalid-card list) is refunded to you at its "
        "original price."
    ),
    # R-LOSS-2, R-LOSS-3
    "formal.title": "Make the loss report formal",
    "formal.where:urban_resident": (
        "Your neighbourhood committee for the certificate, then the counter of a community service center "
        "or the medical insurance center"
    ),
    "formal.where:rural_resident": (
        "Your village committee for the certificate, then the counter of a community service center "
        "or the medical insurance center"
    ),
    "formal.where:employee": (
        "Your employer's social insurance staff (usually the finance office), or the counter of a service outlet"
    ),
    "formal.where:student": (
        "Your school's office for medical insurance (talk to your counsellor or class teacher first), "
        "or the counter of a service outlet"
    ),
    "formal.certificate:urban_resident": (
        "Ask the neighbourhood committee for a stamped loss certificate that states your basic details and the "
        "card's serial number, account number or personal number."
    ),
    "formal.certificate:rural_resident": (
        "Ask the village committee for a stamped loss certificate that states your basic details and the "
        "card's serial number, account number or personal number."
    ),
    "formal.certificate:employee": (
        "Under employee insurance, your employer's staff, usually in the finance office, handle the formalities "
        "for you and issue the employer's certificate."
    ),
    "formal.certificate:student": (
        "Students first consult their counsellor or class teacher; the school's office then issues the "
        "certificate and applies for you."
    ),
    "formal.documents": "A formal report at the counter needs: {documents}.",
    # R-LOSS-2
    "agent.title": "If you cannot go yourself, send someone",
    "agent.where": "The counter of a social security card service outlet",
    "agent.who": (
        "In special circumstances, such as limited mobility or old age, someone else may act for you; "
        "the counter records who they are."
    ),
    "agent.documents": "Your agent brings: {documents}.",
    # R-REP-1, R-REP-2, R-REP-5
    "apply_after_loss.title": "Apply for a new card",
    "apply_after_loss.where": "The counter of a service outlet, in the same visit as the formal report",
    "apply_after_loss.documents": (
        "A replacement always follows a loss report: once the report is formal, fill in the application form "
        "at the counter and hand in: {documents}."
    ),
    "apply_after_loss.old_card": (
        "The new card has a new number. The reported card is already on the invalid-card list, and it is "
        "cancelled for good when the new one is issued."
    ),
    "fee": "Fee for replacing a {reason} card: {fee_text}, paid at the counter, never taken from your medical account.",
    # R-REP-1: no loss report for a damaged, demagnetised or expired card.
    "check.title": "No loss report needed: check how to apply",
    "check.where": "Hotline {hotline}, a social security card service outlet or your card's cooperative bank",
    "check.no_report": "A card that is {reason} needs no loss report: you can apply for a new one straight away.",
    "check.ask": (
        "Details vary between regions, so before you go, call {hotline} or ask at an outlet or the bank what "
        "this region requires."
    ),
    "apply.title": "Apply for a new card at the counter",
    "apply.where": "The counter of a social security card service outlet or the medical insurance center",
    "apply.where:employee": (
        "Your employer's social insurance staff (usually the finance office) apply for you, or you go to the "
        "counter of a service outlet yourself"
    ),
    "apply.where:student": (
        "Your school's office for medical insurance applies for you, or you go to the counter of a service "
        "outlet yourself"
    ),
    "apply.documents": "Fill in the application form at the counter and hand in: {documents}.",
    "apply.old_card": (
        "Once the application is accepted, the old card goes on the invalid-card list and stops paying, so use "
        "the certificates described below; the new card has a new number, and the old one is cancelled for good "
        "when it is issued."
    ),
    # R-SET-3, R-REP-4
    "meanwhile.title": "Paying for care while you wait",
    "meanwhile.where": "Designated hospitals and pharmacies",
    "meanwhile.ecert": (
        "Pay with the medical insurance electronic certificate: show its QR code on your phone; each code is "
        "valid for {ecert_valid_seconds} seconds."
    ),
    "meanwhile.certificate": (
        "The card collection certificate you receive when you apply serves as a temporary medical certificate "
        "until you collect the new card: it is valid for {temp_certificate_valid_days} days, only in the issuing "
        "region, and has no bank function."
    ),
    "meanwhile.limits": "Neither may do everything the card does, so collect the new card as soon as it is ready.",
    # R-REP-3, R-REP-4
    "collect.title": "Collect and activate the new card",
    "collect.where": "The service outlet that took your application",
    "collect.ready": "The new card is ready {ready_when}.",
    "collect.documents": "To collect it, bring: {documents}; then set a PIN to activate it.",
    # R-REP-6
    "balance.title": "What happens to the money on the old card",
    "balance.where": (
        "Your card's cooperative bank; if the bank changes, also the social security sub-center where you are insured"
    ),
    "balance.same_bank": (
        "If the new card is with the same bank as the old one, the old balance moves to it automatically once "
        "you activate it."
    ),
    "balance.other_bank": (
        "If the bank changes, the money moves only after the social security sub-center issues a clearing "
        "notice and the old bank confirms the old card is cancelled; until then it stays yours but cannot be "
        "spent with the new card."
    ),
    "balance.total": "Either way, not a single fen is lost or counted twice.",
    # R-CLM-1, R-CLM-2
    "claim.title": "Claim back what you paid while you waited",
    "claim.where": "The counter of the provincial medical insurance center, or the online service",
    "claim.when": (
        "Medical costs you paid yourself while the card could not be used (from the loss report, or for a "
        "damaged card the application, until you collect the new card) can be claimed within "
        "{claim_grace_days} days after you collect it."
    ),
    "claim.documents": "Bring: {documents}, each with a photocopy.",
    "claim.review": (
        "The claim is reviewed and approved in full or in part, or refused with a reason; the approved amount "
        "is paid to you, and any share paid by a supplementary insurer is recorded separately."
    ),
    # R-CARD-3, R-SET-1
    "safekeeping.title": "Keep your card safe",
    "safekeeping.where": "Wherever you carry or store the card",
    "safekeeping.recheck": (
        "If the found card was never activated, has no PIN, or someone may have seen its PIN, activate it, "
        "set a PIN or change it soon."
    ),
    "safekeeping.care": (
        "Keep the card away from sharp or magnetic objects, do not bend it, and keep it out of heat and damp; "
        "a damaged card goes on the invalid-card list and has to be replaced."
    ),
    "safekeeping.pin": (
        "Tell nobody your PIN and never keep it with the card; after {pin_max_tries} wrong PINs in a row the "
        "card locks until an outlet or the bank unlocks it."
    ),
    "safekeeping.use": (
        "The card pays only for medical care at designated hospitals and pharmacies: no cash withdrawals, no transfers."
    ),
    # R-LOSS-5
    "lift.title": "Found the card? Lift the loss report",
    "lift.where": (
        "The counter of a service outlet, your card's cooperative bank, or the online service; "
        "questions: hotline {hotline}"
    ),
    "lift.effect": (
        "Found your card? You can lift the loss report: the card then pays again, comes off the invalid-card "
        "list, and the bank is told."
    ),
    "lift.when": "In this region a report can be lifted {lift_when}.",
    "lift.only_before_replacement": (
        "This is possible only before a replacement has been applied for: once you have applied, the report "
        "can no longer be lifted."
    ),
    "lift.documents": "At the counter, bring: {documents}.",
    "lift.hold": (
        "A provisional report that was never made formal also releases itself after {provisional_valid_days} days."
    ),
    "found_after_applying.title": "Already applied for a new card? Carry on with it",
    "found_after_applying.where": "The service outlet that took your application",
    "found_after_applying.old_card": (
        "The found card will not work again: it is cancelled for good when the new card is issued, and its "
        "balance moves to the new card once that is activated (after a clearing notice and the old bank's "
        "confirmation if the bank changes)."
    ),
    "found_after_applying.collect": "The new card is ready {ready_when}; to collect it, bring: {documents}.",
}

DOCUMENTS: dict[str, str] = {
    rules.RESIDENT_ID_CARD: "resident ID card",
    rules.HOUSEHOLD_REGISTER: "household register (hukou booklet)",
    rules.AGENT_ID_CARD: "the agent's own ID card",
    rules.CLIENT_ID_CARD: "the cardholder's ID card (original)",
    rules.CLIENT_ID_CARD_COPY: "a photocopy of the cardholder's ID card",
    rules.PHOTO: "a recent photo",
    rules.SCHEME_CERTIFICATES[Scheme.URBAN_RESIDENT]: "loss certificate from the neighbourhood committee",
    rules.SCHEME_CERTIFICATES[Scheme.RURAL_RESIDENT]: "loss certificate from the village committee",
    rules.SCHEME_CERTIFICATES[Scheme.EMPLOYEE]: "certificate from your employer",
    rules.SCHEME_CERTIFICATES[Scheme.STUDENT]: "certificate from your school",
    plans.COLLECTION_CERTIFICATE: "card collection certificate",
    claims.INVOICE: "original invoices",
    claims.EXPENSE_LIST: "itemised expense list",
    claims.MEDICAL_RECORD: "medical records",
    claims.DISCHARGE_SUMMARY: "discharge summary (after a hospital stay)",
}

ARTICLES: dict[Article, str] = {
    Article.MEASURES_16: "Measures on the Administration of Social Security Cards, Art. 16",
    Article.MEASURES_19: "Measures on the Administration of Social Security Cards, Art. 19",
    Article.SOCIAL_INSURANCE_LAW_2: "Social Insurance Law of the People's Republic of China, Art. 2",
    Article.SOCIAL_INSURANCE_LAW_8: "Social Insurance Law of the People's Republic of China, Art. 8",
    Article.SOCIAL_INSURANCE_LAW_26: "Social Insurance Law of the People's Republic of China, Art. 26",
    Article.SOCIAL_INSURANCE_LAW_28: "Social Insurance Law of the People's Republic of China, Art. 28",
    Article.SOCIAL_INSURANCE_LAW_29: "Social Insurance Law of the People's Republic of China, Art. 29",
    Article.SOCIAL_INSURANCE_LAW_72: "Social Insurance Law of the People's Republic of China, Art. 72",
    Article.NOTICE_6: "Notice on the management process of issuing social security cards, Art. 6",
    Article.NOTICE_7: "Notice on the management process of issuing social security cards, Art. 7",
}

SITUATIONS: dict[str, str] = {
    plans.Situation.LOST: "lost",
    plans.Situation.STOLEN: "stolen",
    plans.Situation.DAMAGED: "damaged",
    plans.Situation.DEMAGNETIZED: "demagnetized",
    plans.Situation.EXPIRED: "expired",
    plans.Situation.FOUND: "found",
}

CATALOG = Catalog(
    language=Language.EN,
    messages=MESSAGES,
    documents=DOCUMENTS,
    articles=ARTICLES,
    situations=SITUATIONS,
    list_separator=", ",
    alternative_separator=" or ",
    sentence_separator=" ",
)
