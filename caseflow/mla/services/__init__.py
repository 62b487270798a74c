"""MLA request rules: drafting, legal basis, completeness, four-eyes approval, workflow,
clocks, packet export.

One module per part: `drafting` (fields, legal basis, checklist), `parts` (offences,
identifiers, annexes), `workflow` (submit, approve, return, send, close), `reading` (the
request page, case panel, clocks), `export` (the signed packet); `common` holds the
status table, the request's field list and the helpers they share. Everything public is
re-exported here, so callers import `services` as before. Must not import flask.
"""

from __future__ import annotations

from caseflow.mla.packet import accepted_languages as accepted_languages
from caseflow.mla.services.common import EDITABLE_STATUSES as EDITABLE_STATUSES
from caseflow.mla.services.common import REQUEST_FIELDS as REQUEST_FIELDS
from caseflow.mla.services.common import RUNNING as RUNNING
from caseflow.mla.services.common import TEXT_FIELDS as TEXT_FIELDS
from caseflow.mla.services.common import TRANSITIONS as TRANSITIONS
from caseflow.mla.services.common import case_id_of_request as case_id_of_request
from caseflow.mla.services.common import check_request_access as check_request_access
from caseflow.mla.services.common import reference as reference
from caseflow.mla.services.drafting import basis_facts as basis_facts
from caseflow.mla.services.drafting import bilateral_treaty as bilateral_treaty
from caseflow.mla.services.drafting import checklist as checklist
from caseflow.mla.services.drafting import create_request as create_request
from caseflow.mla.services.drafting import request_facts as request_facts
from caseflow.mla.services.drafting import set_legal_basis as set_legal_basis
from caseflow.mla.services.drafting import update_request as update_request
from caseflow.mla.services.export import BuiltPacket as BuiltPacket
from caseflow.mla.services.export import ExportResult as ExportResult
from caseflow.mla.services.export import PreparedExport as PreparedExport
from caseflow.mla.services.export import approved_packet as approved_packet
from caseflow.mla.services.export import build_export as build_export
from caseflow.mla.services.export import export_packet as export_packet
from caseflow.mla.services.export import latest_approval as latest_approval
from caseflow.mla.services.export import packet_file as packet_file
from caseflow.mla.services.export import packet_path as packet_path
from caseflow.mla.services.export import prepare_export as prepare_export
from caseflow.mla.services.export import record_packet as record_packet
from caseflow.mla.services.languages import MAX_TRANSLATION_BYTES as MAX_TRANSLATION_BYTES
from caseflow.mla.services.languages import add_translation as add_translation
from caseflow.mla.services.languages import language_gap as language_gap
from caseflow.mla.services.languages import language_records as language_records
from caseflow.mla.services.languages import record_language_reason as record_language_reason
from caseflow.mla.services.parts import EXCLUDED_IDENTIFIER_KINDS as EXCLUDED_IDENTIFIER_KINDS
from caseflow.mla.services.parts import add_annex as add_annex
from caseflow.mla.services.parts import add_identifier as add_identifier
from caseflow.mla.services.parts import add_offence as add_offence
from caseflow.mla.services.parts import case_entity_choices as case_entity_choices
from caseflow.mla.services.parts import case_evidence_choices as case_evidence_choices
from caseflow.mla.services.parts import remove_annex as remove_annex
from caseflow.mla.services.parts import remove_identifier as remove_identifier
from caseflow.mla.services.parts import remove_offence as remove_offence
from caseflow.mla.services.reading import DueItem as DueItem
from caseflow.mla.services.reading import case_requests as case_requests
from caseflow.mla.services.reading import due_items as due_items
from caseflow.mla.services.reading import request_clocks as request_clocks
from caseflow.mla.services.reading import view_request as view_request
from caseflow.mla.services.workflow import AuthorityBlock as AuthorityBlock
from caseflow.mla.services.workflow import approve_request as approve_request
from caseflow.mla.services.workflow import close_request as close_request
from caseflow.mla.services.workflow import mark_acknowledged as mark_acknowledged
from caseflow.mla.services.workflow import mark_sent as mark_sent
from caseflow.mla.services.workflow import record_extension as record_extension
from caseflow.mla.services.workflow import reopen_request as reopen_request
from caseflow.mla.services.workflow import return_request as return_request
from caseflow.mla.services.workflow import submit_request as submit_request
