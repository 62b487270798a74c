"""One document per instrument, in the structure of its official form or treaty article.

`DOCUMENTS` maps an instrument code to the function that lays out its document; the section
letters and headings of each form are the `*_SECTIONS` tuples below (sources and what could
be confirmed: docs/packet-format.md). A document prints only what the request states: a
field nobody filled in stays blank, a tick-box nobody ticked stays empty, and no statement
is made on the officer's behalf. No Flask, no caseflow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reportlab.platypus import Spacer

from exports.model import Authority, RequestDoc
from exports.pdf import CONTENT_WIDTH, AnnexInfo, Writer, cover, deadline_rows, fmt_dt

Renderer = Callable[[Writer, RequestDoc, Sequence[AnnexInfo], str], list[Any]]

# Data categories as the forms name them (Reg. 2023/1543 Art. 3(9)-(12); EIO Annex A C).
CATEGORY_LABELS = {
    "subscriber": "Subscriber data",
    "identification": "Data requested for the sole purpose of identifying the user (IP address "
    "and, where necessary, source ports and time stamp)",
    "traffic": "Traffic data",
    "content": "Content data",
    "financial": "Bank and other financial accounts or operations",
    "search": "Search and seizure",
    "hearing": "Hearing of a person",
    "other": "Other assistance",
}
MEASURE_LABELS = {
    "preserve": "Preservation of evidence pending a further request",
    "obtain": "Obtaining evidence",
    "preservation": "Preservation of stored data",
    "production": "Production of stored data",
    "search-or-testimony": "Search, seizure or testimony",
    "search": "Search and seizure",
    "hearing": "Hearing of a person",
    "freeze": "Freezing of assets",
}
ACCURACY = (
    "The issuing authority certifies that the content of this document is accurate and correct."
)


def _measures(req: RequestDoc) -> str:
    lines = [MEASURE_LABELS.get(m, m) for m in req.measures]
    if req.assistance.strip():
        lines.append(req.assistance)
    return "\n".join(lines)


def _yes(value: bool | None) -> bool:
    return value is True


def _authority_rows(
    a: Authority | None, kind_label: str = "Type of authority"
) -> list[tuple[str, str]]:
    a = a or Authority(name="")
    return [
        ("Name of the authority", a.name),
        (kind_label, a.kind),
        ("Address", a.address),
        ("Telephone", a.phone),
        ("E-mail", a.email),
        ("File number", a.file_reference),
    ]


def _contact_rows(req: RequestDoc) -> list[tuple[str, str]]:
    c = req.contact
    return [
        ("Contact person", c.person),
        ("Telephone", c.phone),
        ("E-mail", c.email),
        ("24/7 contact", c.contact_24_7),
        ("Time zone", c.time_zone),
        ("Languages that may be used", ", ".join(c.languages)),
    ]


def _offences_table(w: Writer, req: RequestDoc) -> list[Any]:
    if not req.offences:
        return []
    total = CONTENT_WIDTH
    widths = (total * 0.4, total * 0.35, total * 0.25)
    rows: list[list[Any]] = [["Offence", "Statutory provision", "Maximum penalty"]]
    for o in req.offences:
        rows.append(
            [
                w.cell(o.name, widths[0]),
                w.cell(o.statutory_provision, widths[1]),
                w.cell(o.maximum_penalty, widths[2]),
            ]
        )
    return [w.table(rows, widths), Spacer(1, 3)]


def _persons(w: Writer, req: RequestDoc) -> list[Any]:
    if not req.persons:
        return [w.rich("No person is named in this request.", w.small)]
    total = CONTENT_WIDTH
    widths = (total * 0.14, total * 0.24, total * 0.14, total * 0.14, total * 0.34)
    rows: list[list[Any]] = [["Role", "Name", "Date of birth", "Nationality", "Address, other"]]
    for p in req.persons:
        other = "\n".join(x for x in (p.address, p.other) if x)
        rows.append(
            [
                w.cell(p.role, widths[0]),
                w.cell(p.name, widths[1]),
                w.cell(p.date_of_birth, widths[2]),
                w.cell(p.nationality, widths[3]),
                w.cell(other, widths[4]),
            ]
        )
    return [w.table(rows, widths)]


def _identification(w: Writer, req: RequestDoc, annexes: Sequence[AnnexInfo]) -> list[Any]:
    annex = next((a for a in annexes if a.title == "Identifiers"), None)
    where = (
        f"{len(req.identifiers)} identifiers, listed in Annex {annex.number} and in "
        "identifiers.csv (kind, value, observation time in UTC, source port, relevance)."
        if annex
        else ""
    )
    period = (
        f"{fmt_dt(req.time_range.start)} to {fmt_dt(req.time_range.end)} (UTC)"
        if req.time_range
        else ""
    )
    return [w.fields([("Identifiers", where), ("Time range", period)])]


def _categories(w: Writer, req: RequestDoc, keys: Sequence[str]) -> Any:
    return w.ticks([(CATEGORY_LABELS[k], k in req.data_categories) for k in keys])


def _addressee(w: Writer, req: RequestDoc) -> list[Any]:
    a = req.addressee
    establishment = a.establishment if a else ""
    return [
        w.fields(
            [
                ("Addressee", a.name if a else ""),
                ("Kind", a.kind if a else ""),
                ("Address", a.address if a else ""),
            ]
        ),
        w.ticks(
            [
                ("Designated establishment", establishment == "designated-establishment"),
                ("Legal representative", establishment == "legal-representative"),
            ],
            columns=2,
        ),
    ]


def _conditions(w: Writer, req: RequestDoc) -> list[Any]:
    out: list[Any] = [w.fields([("Nature of the proceedings", req.proceedings)])]
    out += _offences_table(w, req)
    out += w.text_block("Summary of the facts", req.summary_of_facts)
    out += w.text_block("Necessity and proportionality", req.necessity)
    out += _stated_facts(w, req)
    return out


def _stated_facts(w: Writer, req: RequestDoc) -> list[Any]:
    """Statements the officer made in answer to a question; an unanswered one prints nothing."""
    lines = []
    if req.transnational_organised_group is True:
        lines.append(
            "The offence is transnational in nature and involves an organised criminal group."
        )
    if req.child_exploitation is True:
        lines.append("The offences concern the sale or sexual exploitation of children.")
    return w.text_block("Statements of the issuing authority", "\n".join(lines))


def _deadlines(w: Writer, req: RequestDoc) -> list[Any]:
    return [w.fields([("Deadlines", "\n".join(deadline_rows(req)))])]


def _urgency_ticks(w: Writer, req: RequestDoc) -> list[Any]:
    return [
        w.ticks(
            [
                (
                    "Emergency (imminent threat to life or physical integrity)",
                    req.urgency == "emergency",
                ),
                ("Urgent", req.urgency == "urgent"),
                ("Normal", req.urgency == "normal"),
            ],
            columns=3,
        ),
        *w.text_block("Reasons", req.urgency_reason),
    ]


def _earlier(w: Writer, req: RequestDoc) -> list[Any]:
    return [w.fields([("Earlier or related orders and requests", "\n".join(req.earlier_requests))])]


def _signature_pair(w: Writer, req: RequestDoc, who: str) -> list[Any]:
    return [w.signature(f"Signature of the {who}", req.issuer, ACCURACY)]


# -- EPOC (Regulation (EU) 2023/1543, Annex I) -----------------------------------------------

EPOC_SECTIONS = (
    ("A", "Issuing/validating authority"),
    ("B", "Addressee"),
    ("C", "Deadlines"),
    ("D", "Relation to other production/preservation order"),
    ("E", "Information to support the identification of the data requested"),
    ("F", "Electronic evidence to be produced"),
    ("G", "Information about the underlying conditions"),
    ("H", "Notification of the enforcing authority"),
    ("I", "Details of the issuing authority"),
    ("J", "Details of the validating authority"),
    ("K", "Further details"),
    ("L", "Transfer of the data"),
)


def _authorities_head(w: Writer, req: RequestDoc) -> list[Any]:
    validating = req.validating_authority
    return [
        w.fields(
            [
                ("Issuing State", req.issuing_state),
                ("Issuing authority", req.issuing_authority.name),
                ("Validating authority (where applicable)", validating.name if validating else ""),
                ("File number of the issuing authority", req.issuing_authority.file_reference),
                (
                    "File number of the validating authority",
                    validating.file_reference if validating else "",
                ),
                (
                    "Details of both authorities",
                    "See the sections on the issuing and validating authority below.",
                ),
            ]
        )
    ]


def _issuer_section(w: Writer, req: RequestDoc) -> list[Any]:
    return [
        w.fields(_authority_rows(req.issuing_authority)),
        Spacer(1, 3),
        *_signature_pair(w, req, "issuing authority or its representative"),
    ]


def _validator_section(w: Writer, req: RequestDoc) -> list[Any]:
    return [
        w.fields(_authority_rows(req.validating_authority)),
        Spacer(1, 3),
        w.signature(
            "Signature of the validating authority or its representative",
            req.validator,
            "The validating authority certifies that the content of this document is accurate "
            "and correct."
            if req.validating_authority
            else "",
        ),
    ]


def _transfer(w: Writer, req: RequestDoc) -> list[Any]:
    return [
        w.fields(
            [
                (
                    "(a) Authority to which the data are to be transferred",
                    req.issuing_authority.name,
                ),
                ("Address", req.issuing_authority.address),
                ("E-mail", req.issuing_authority.email),
            ]
        )
    ]


def _sections(
    w: Writer, spec: Sequence[tuple[str, str]], bodies: dict[str, Callable[[], list[Any]]]
) -> list[Any]:
    out: list[Any] = []
    for letter, heading in spec:
        out += [Spacer(1, 4), w.section(letter, heading), Spacer(1, 2), *bodies[letter]()]
    return out


def _title(w: Writer, title: str, subtitle: str) -> list[Any]:
    from xml.sax.saxutils import escape

    return [w.rich(escape(title), w.title), w.rich(escape(subtitle), w.subtitle), Spacer(1, 5)]


def epoc(w: Writer, req: RequestDoc, annexes: Sequence[AnnexInfo], digest: str) -> list[Any]:
    head = _title(
        w,
        "EUROPEAN PRODUCTION ORDER CERTIFICATE (EPOC) FOR THE PRODUCTION OF ELECTRONIC EVIDENCE",
        "Regulation (EU) 2023/1543, Annex I. The addressee must preserve the data on receipt "
        "and transmit them within the deadlines in Section C to the authority in Section L(a) "
        "(Art. 10); it must keep this order and the data confidential and intact.",
    )
    bodies = {
        "A": lambda: _authorities_head(w, req),
        "B": lambda: _addressee(w, req),
        "C": lambda: [
            w.ticks(
                [
                    ("Within 8 hours of receipt (emergency case)", req.urgency == "emergency"),
                    ("Within 10 days of receipt", req.urgency != "emergency"),
                ],
                columns=2,
            ),
            *_deadlines(w, req),
            *w.text_block("Reasons for the emergency", req.urgency_reason),
        ],
        "D": lambda: _earlier(w, req),
        "E": lambda: _identification(w, req, annexes),
        "F": lambda: [_categories(w, req, ("subscriber", "identification", "traffic", "content"))],
        "G": lambda: [
            *_conditions(w, req),
            *w.text_block("Immunities and privileges", req.immunities),
        ],
        "H": lambda: [
            w.ticks(
                [
                    (
                        "The enforcing authority is notified (Art. 8)",
                        _yes(req.enforcing_state_notified),
                    ),
                    (
                        "No notification: the offence was committed, and the person lives, in "
                        "the issuing State",
                        req.enforcing_state_notified is False,
                    ),
                ]
            )
        ],
        "I": lambda: _issuer_section(w, req),
        "J": lambda: _validator_section(w, req),
        "K": lambda: [w.fields(_contact_rows(req))],
        "L": lambda: _transfer(w, req),
    }
    return [*head, *cover(w, req, annexes, digest), *_sections(w, EPOC_SECTIONS, bodies)]


# -- EPOC-PR (Regulation (EU) 2023/1543, Annex II) -------------------------------------------

EPOC_PR_SECTIONS = (
    ("A", "Issuing/validating authority"),
    ("B", "Addressee"),
    ("C", "Relation to other production/preservation order"),
    ("D", "Information to support the identification of the data requested to be preserved"),
    ("E", "Electronic evidence to be preserved"),
    ("F", "Information about the underlying conditions"),
    ("G", "Details of the issuing authority"),
    ("H", "Details of the validating authority"),
    ("I", "Further details"),
)


def epoc_pr(w: Writer, req: RequestDoc, annexes: Sequence[AnnexInfo], digest: str) -> list[Any]:
    head = _title(
        w,
        "EUROPEAN PRESERVATION ORDER CERTIFICATE (EPOC-PR) FOR THE PRESERVATION OF ELECTRONIC "
        "EVIDENCE",
        "Regulation (EU) 2023/1543, Annex II. The addressee must preserve the data without "
        "undue delay; preservation ends after 60 days unless extended by 30 days (Annex VI) or "
        "a subsequent request for production is confirmed (Annex V) (Art. 11).",
    )
    follow = req.production_to_follow
    bodies = {
        "A": lambda: _authorities_head(w, req),
        "B": lambda: _addressee(w, req),
        "C": lambda: [
            *_earlier(w, req),
            w.ticks([("A subsequent request for production will be issued", _yes(follow))]),
            *_deadlines(w, req),
        ],
        "D": lambda: _identification(w, req, annexes),
        "E": lambda: [_categories(w, req, ("subscriber", "identification", "traffic", "content"))],
        "F": lambda: _conditions(w, req),
        "G": lambda: _issuer_section(w, req),
        "H": lambda: _validator_section(w, req),
        "I": lambda: [w.fields(_contact_rows(req))],
    }
    return [*head, *cover(w, req, annexes, digest), *_sections(w, EPOC_PR_SECTIONS, bodies)]


# -- EIO (Directive 2014/41/EU, Annex A) -----------------------------------------------------

EIO_SECTIONS = (
    ("A", "Issuing State / Executing State"),
    ("B", "Urgency"),
    ("C", "Investigative measure(s) to be carried out"),
    ("D", "Relation to an earlier EIO"),
    ("E", "Identity of the person concerned"),
    ("F", "Type of proceedings for which the EIO is issued"),
    ("G", "Grounds for issuing the EIO"),
    ("H", "Additional requirements for certain measures"),
    ("I", "Formalities and procedures requested for the execution"),
    ("J", "Legal remedies"),
    ("K", "Details of the authority that issued the EIO"),
    ("L", "Details of the judicial authority that validated the EIO"),
)
EIO_H = (
    ("H1", "Transfer of a person held in custody"),
    ("H2", "Hearing by videoconference or other audiovisual transmission"),
    ("H3", "Information on bank and other financial accounts"),
    ("H4", "Information on banking and other financial operations"),
    (
        "H5",
        "Investigative measures implying the gathering of evidence in real time, "
        "continuously and over a certain period of time",
    ),
    ("H6", "Covert investigations"),
    ("H7", "Interception of telecommunications"),
)


def eio(w: Writer, req: RequestDoc, annexes: Sequence[AnnexInfo], digest: str) -> list[Any]:
    head = _title(
        w,
        "EUROPEAN INVESTIGATION ORDER (EIO)",
        "Directive 2014/41/EU, Annex A. This EIO has been issued by a competent authority. The "
        "issuing authority certifies that issuing it is necessary and proportionate for the "
        "proceedings below and asks that the measure(s) be carried out.",
    )
    cats = set(req.data_categories)
    measures = set(req.measures)
    financial = "financial" in cats
    bodies = {
        "A": lambda: [
            w.fields(
                [
                    ("Issuing State", req.issuing_state),
                    (
                        "Executing State",
                        f"{req.requested_state.name} ({req.requested_state.code})",
                    ),
                    ("Executing authority (if known)", req.requested_state.central_authority),
                ]
            )
        ],
        "B": lambda: [*_urgency_ticks(w, req), *_deadlines(w, req)],
        "C": lambda: [
            w.fields([("Assistance requested", _measures(req))]),
            w.ticks(
                [
                    (
                        "Identification of persons holding a subscription of a specified phone "
                        "number or IP address",
                        bool(cats & {"subscriber", "identification"}),
                    ),
                    ("Obtaining traffic and location data", "traffic" in cats),
                    ("Obtaining content data", "content" in cats),
                    ("Information on bank and other financial accounts or operations", financial),
                    (
                        "Hearing (witness, expert, suspect, victim)",
                        "hearing" in cats or "search-or-testimony" in measures,
                    ),
                    (
                        "Search and seizure",
                        "search" in cats or "search-or-testimony" in measures,
                    ),
                    (
                        "Provisional measure to prevent destruction or transfer of evidence",
                        bool(measures & {"preservation", "preserve"}),
                    ),
                ]
            ),
        ],
        "D": lambda: _earlier(w, req),
        "E": lambda: _persons(w, req),
        "F": lambda: [w.fields([("Type and stage of proceedings", req.proceedings)])],
        "G": lambda: [
            *_offences_table(w, req),
            *w.text_block("Summary of the facts", req.summary_of_facts),
            *w.text_block("Purpose and necessity of the measure(s)", req.necessity),
            *_stated_facts(w, req),
        ],
        "H": lambda: [
            w.ticks(
                [(f"{code} {text}", code in ("H3", "H4") and financial) for code, text in EIO_H]
            )
        ],
        "I": lambda: [
            *w.text_block("Formalities and procedures", req.formalities),
            *w.text_block("Confidentiality", req.confidentiality),
        ],
        "J": lambda: [w.fields([("Legal remedies", req.legal_remedies)])],
        "K": lambda: [
            w.fields(_authority_rows(req.issuing_authority, "Type of issuing authority")),
            w.fields(_contact_rows(req)),
            Spacer(1, 3),
            *_signature_pair(w, req, "issuing authority and/or its representative"),
        ],
        "L": lambda: _validator_section(w, req),
    }
    return [*head, *cover(w, req, annexes, digest), *_sections(w, EIO_SECTIONS, bodies)]


# -- Budapest Convention Art. 29 expedited preservation ---------------------------------------

B29_ITEMS = (
    ("(a)", "The authority seeking the preservation"),
    (
        "(b)",
        "The offence that is the subject of a criminal investigation or proceedings and a "
        "brief summary of the related facts",
    ),
    ("(c)", "The stored computer data to be preserved and its relationship to the offence"),
    (
        "(d)",
        "Any available information identifying the custodian of the stored computer data "
        "or the location of the computer system",
    ),
    ("(e)", "The necessity of the preservation"),
    (
        "(f)",
        "That the Party intends to submit a request for mutual assistance for the search or "
        "similar access, seizure or similar securing, or disclosure of the stored computer data",
    ),
)


def budapest_29(w: Writer, req: RequestDoc, annexes: Sequence[AnnexInfo], digest: str) -> list[Any]:
    head = _title(
        w,
        "REQUEST FOR EXPEDITED PRESERVATION OF STORED COMPUTER DATA",
        "Convention on Cybercrime (ETS No. 185), Article 29. Preservation is asked pending a "
        "request for mutual assistance; it is to last at least 60 days (Art. 29(7)).",
    )
    a = req.addressee
    follow = req.production_to_follow
    bodies = {
        "(a)": lambda: [
            w.fields(_authority_rows(req.issuing_authority)),
            w.fields(_contact_rows(req)),
        ],
        "(b)": lambda: [
            *_offences_table(w, req),
            *w.text_block("Summary of the facts", req.summary_of_facts),
        ],
        "(c)": lambda: [
            _categories(w, req, ("subscriber", "identification", "traffic", "content")),
            *_identification(w, req, annexes),
        ],
        "(d)": lambda: [
            w.fields(
                [
                    ("Custodian", a.name if a else ""),
                    ("Address or location of the system", a.address if a else ""),
                ]
            )
        ],
        "(e)": lambda: [
            *w.text_block("Necessity", req.necessity),
            *_urgency_ticks(w, req),
            *_deadlines(w, req),
        ],
        "(f)": lambda: [
            w.ticks(
                [
                    (
                        "A request for mutual assistance for the search, seizure or disclosure "
                        "of the data will be submitted",
                        _yes(follow),
                    )
                ]
            )
        ],
    }
    tail = [
        Spacer(1, 4),
        w.section("", "Confidentiality"),
        *w.text_block("Request", req.confidentiality),
        Spacer(1, 4),
        w.section("", "Signature"),
        *_signature_pair(w, req, "requesting authority"),
    ]
    return [*head, *cover(w, req, annexes, digest), *_sections(w, B29_ITEMS, bodies), *tail]


# -- Letters of request (UNTOC Art. 18(15); Budapest Arts. 27/31; MLAT; EU-UK TCA) ----------

LETTER_ITEMS = (
    ("(a)", "The identity of the authority making the request"),
    (
        "(b)",
        "The subject matter and nature of the investigation, prosecution or judicial "
        "proceeding, and the name and functions of the authority conducting it",
    ),
    ("(c)", "A summary of the relevant facts"),
    (
        "(d)",
        "A description of the assistance sought and details of any particular procedure "
        "to be followed",
    ),
    ("(e)", "The identity, location and nationality of any person concerned"),
    ("(f)", "The purpose for which the evidence, information or action is sought"),
)
LETTER_TITLES = {
    "UNTOC-18": (
        "REQUEST FOR MUTUAL LEGAL ASSISTANCE",
        "United Nations Convention against Transnational Organized Crime, Article 18; "
        "contents as required by Article 18(15).",
    ),
    "BUDAPEST-31": (
        "REQUEST FOR MUTUAL ASSISTANCE REGARDING ACCESSING OF STORED COMPUTER DATA",
        "Convention on Cybercrime (ETS No. 185), Article 31 (procedure under Article 27 where "
        "no other treaty applies between the Parties).",
    ),
    "BUDAPEST-27": (
        "REQUEST FOR MUTUAL ASSISTANCE",
        "Convention on Cybercrime (ETS No. 185), Article 27.",
    ),
    "BILATERAL": (
        "REQUEST FOR MUTUAL LEGAL ASSISTANCE",
        "Under the bilateral mutual legal assistance treaty stated as legal basis below.",
    ),
    "EU-US": (
        "REQUEST FOR MUTUAL LEGAL ASSISTANCE",
        "Agreement on mutual legal assistance between the European Union and the United "
        "States of America, with the bilateral instrument stated below.",
    ),
    "EU-UK-TCA": (
        "REQUEST FOR MUTUAL ASSISTANCE",
        "EU\u2013UK Trade and Cooperation Agreement, Part Three, Title VIII, with the European "
        "Convention on Mutual Assistance in Criminal Matters (1959) and its Protocols; form "
        "of Article 635.",
    ),
    "LETTERS-ROGATORY": (
        "LETTER ROGATORY",
        "Request for judicial assistance on the basis of reciprocity (no treaty applies).",
    ),
}


def letter(w: Writer, req: RequestDoc, annexes: Sequence[AnnexInfo], digest: str) -> list[Any]:
    title, subtitle = LETTER_TITLES.get(
        req.instrument.code, ("REQUEST FOR MUTUAL LEGAL ASSISTANCE", req.instrument.label)
    )
    head = _title(w, title, subtitle)
    a = req.addressee
    bodies = {
        "(a)": lambda: [
            w.fields(_authority_rows(req.issuing_authority)),
            w.fields(_contact_rows(req)),
        ],
        "(b)": lambda: [
            w.fields(
                [
                    ("Nature and stage of the proceedings", req.proceedings),
                    ("Authority conducting them", req.issuing_authority.name),
                ]
            ),
            *_offences_table(w, req),
            *_stated_facts(w, req),
        ],
        "(c)": lambda: w.text_block("Facts", req.summary_of_facts) or [w.rich("", w.body)],
        "(d)": lambda: [
            w.fields(
                [
                    ("Assistance sought", _measures(req)),
                    ("Holder of the data or evidence", a.name if a else ""),
                    ("Address of the holder", a.address if a else ""),
                    ("Particular procedure (formalities)", req.formalities),
                ]
            ),
            _categories(
                w, req, ("subscriber", "identification", "traffic", "content", "financial")
            ),
            *_identification(w, req, annexes),
        ],
        "(e)": lambda: _persons(w, req),
        "(f)": lambda: w.text_block("Purpose and necessity", req.necessity) or [w.rich("", w.body)],
    }
    tail = [
        Spacer(1, 4),
        w.section("", "Urgency and time limits"),
        *_urgency_ticks(w, req),
        *_deadlines(w, req),
        Spacer(1, 4),
        w.section("", "Earlier requests"),
        *_earlier(w, req),
        Spacer(1, 4),
        w.section("", "Confidentiality and limits on use"),
        *w.text_block("Confidentiality", req.confidentiality),
        *w.text_block("Use limitation", req.use_limits),
        Spacer(1, 4),
        w.section("", "Signature"),
        *_signature_pair(w, req, "requesting authority"),
    ]
    return [*head, *cover(w, req, annexes, digest), *_sections(w, LETTER_ITEMS, bodies), *tail]


DOCUMENTS: dict[str, Renderer] = {
    "EPOC": epoc,
    "EPOC-PR": epoc_pr,
    "EIO": eio,
    "BUDAPEST-29": budapest_29,
    **{code: letter for code in LETTER_TITLES},
    "OPSC-6": letter,
}


def document_for(code: str) -> Renderer:
    """The renderer of an instrument; an instrument without a form of its own gets the letter
    of request (the shape every MLA treaty accepts), titled with its label."""
    return DOCUMENTS.get(code, letter)
