"""Entity rules: adding selectors to cases, links, ad intake, CSV import, cross-case hits.

One module per part: `case_entities` (add, list, view, remove), `links`, `hits`, `ads`
(ad intake), `csv_import`; `results` holds what crosses the boundary and `common` the helpers
they share. Everything public is re-exported here, so callers import `services` as before.
Must not import flask.
"""

from __future__ import annotations

from caseflow.entities.services.ad_list import MAX_ADS_LISTED as MAX_ADS_LISTED
from caseflow.entities.services.ad_list import AdFilter as AdFilter
from caseflow.entities.services.ad_list import AdRow as AdRow
from caseflow.entities.services.ad_list import list_case_ads as list_case_ads
from caseflow.entities.services.ads import ingest_ad as ingest_ad
from caseflow.entities.services.ads import preview_ad as preview_ad
from caseflow.entities.services.captures import case_captures as case_captures
from caseflow.entities.services.case_entities import add_entity as add_entity
from caseflow.entities.services.case_entities import case_entity_choices as case_entity_choices
from caseflow.entities.services.case_entities import list_case_entities as list_case_entities
from caseflow.entities.services.case_entities import remove_entity as remove_entity
from caseflow.entities.services.case_entities import view_entity as view_entity
from caseflow.entities.services.common import entity_graph_payload as entity_graph_payload
from caseflow.entities.services.common import link_graph_payload as link_graph_payload
from caseflow.entities.services.common import normalize_input as normalize_input
from caseflow.entities.services.csv_import import MAX_WEB_IMPORT_BYTES as MAX_WEB_IMPORT_BYTES
from caseflow.entities.services.csv_import import MAX_WEB_IMPORT_ROWS as MAX_WEB_IMPORT_ROWS
from caseflow.entities.services.csv_import import check_web_import_size as check_web_import_size
from caseflow.entities.services.csv_import import import_csv as import_csv
from caseflow.entities.services.hits import cross_case_hits as cross_case_hits
from caseflow.entities.services.links import LinkPage as LinkPage
from caseflow.entities.services.links import link_entities as link_entities
from caseflow.entities.services.links import list_case_links as list_case_links
from caseflow.entities.services.links import retract_link as retract_link
from caseflow.entities.services.links import view_link as view_link
from caseflow.entities.services.results import MAX_HITS_SHOWN as MAX_HITS_SHOWN
from caseflow.entities.services.results import MAX_PER_PAGE as MAX_PER_PAGE
from caseflow.entities.services.results import OBSERVATION_KEYS as OBSERVATION_KEYS
from caseflow.entities.services.results import VICTIM_MASK as VICTIM_MASK
from caseflow.entities.services.results import AddResult as AddResult
from caseflow.entities.services.results import AdPreview as AdPreview
from caseflow.entities.services.results import AdResult as AdResult
from caseflow.entities.services.results import Capture as Capture
from caseflow.entities.services.results import EntityPage as EntityPage
from caseflow.entities.services.results import EntityRow as EntityRow
from caseflow.entities.services.results import EntityView as EntityView
from caseflow.entities.services.results import Fields as Fields
from caseflow.entities.services.results import Hit as Hit
from caseflow.entities.services.results import ImportReport as ImportReport
from caseflow.entities.services.results import LinkRow as LinkRow
from caseflow.entities.services.results import RowError as RowError
from caseflow.entities.services.results import Sighting as Sighting
from caseflow.entities.services.results import candidate_key as candidate_key
