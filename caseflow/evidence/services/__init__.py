"""Evidence rules: registering items, streamed uploads, custody events, serving bytes,
exports, verification, the custody audit page, crash recovery.

One module per part: `intake`, `custody`, `serve`, `export`, `verify`, `audit`, `recovery`;
`common` holds the helpers they share. Everything public is re-exported here, so callers
import `services` as before. Evidence bytes are never modified or deleted here. Must not
import flask.
"""

from __future__ import annotations

from caseflow.evidence.services.alarms import operator_alarms as operator_alarms
from caseflow.evidence.services.audit import CustodyAudit as CustodyAudit
from caseflow.evidence.services.audit import CustodyGap as CustodyGap
from caseflow.evidence.services.audit import custody_audit as custody_audit
from caseflow.evidence.services.audit import custody_gaps as custody_gaps
from caseflow.evidence.services.common import IntegrityFailure as IntegrityFailure
from caseflow.evidence.services.common import case_id_of_item as case_id_of_item
from caseflow.evidence.services.common import raise_operator_alarm as raise_operator_alarm
from caseflow.evidence.services.custody import SEAL_ACTIONS as SEAL_ACTIONS
from caseflow.evidence.services.custody import ItemCustody as ItemCustody
from caseflow.evidence.services.custody import custody_for_item as custody_for_item
from caseflow.evidence.services.custody import items_for_case as items_for_case
from caseflow.evidence.services.custody import record_custody_event as record_custody_event
from caseflow.evidence.services.custody import validate_custody_event as validate_custody_event
from caseflow.evidence.services.export import CustodyExtractResult as CustodyExtractResult
from caseflow.evidence.services.export import check_exportable as check_exportable
from caseflow.evidence.services.export import custody_extract as custody_extract
from caseflow.evidence.services.export import raise_annex_alarm as raise_annex_alarm
from caseflow.evidence.services.export import record_export as record_export
from caseflow.evidence.services.export import sign_checkpoints as sign_checkpoints
from caseflow.evidence.services.intake import ItemDetails as ItemDetails
from caseflow.evidence.services.intake import register_item as register_item
from caseflow.evidence.services.intake import safe_filename as safe_filename
from caseflow.evidence.services.intake import upload_file as upload_file
from caseflow.evidence.services.recovery import RecoveryReport as RecoveryReport
from caseflow.evidence.services.recovery import orphan_blobs as orphan_blobs
from caseflow.evidence.services.recovery import recover_store as recover_store
from caseflow.evidence.services.serve import ServedFile as ServedFile
from caseflow.evidence.services.serve import download as download
from caseflow.evidence.services.serve import open_file as open_file
from caseflow.evidence.services.verify import BlobProblem as BlobProblem
from caseflow.evidence.services.verify import CustodyReport as CustodyReport
from caseflow.evidence.services.verify import verify_custody as verify_custody
from caseflow.evidence.services.verify import verify_entry_proof as verify_entry_proof
