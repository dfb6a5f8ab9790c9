"""A data type as a person names it, matched to the server's codes; the data source read from an
OMH header."""

from __future__ import annotations

import pytest

from jhe_tui.api import CodeableConcept, InvalidInput
from jhe_tui.jobs.data_types import find_concept
from jhe_tui.jobs.observations import source_of

OMH = "https://w3id.org/openmhealth"
CONCEPTS = [
    CodeableConcept(id=1, coding_system=OMH, coding_code="omh:blood-pressure:4.0", text="Blood pressure"),
    CodeableConcept(id=2, coding_system=OMH, coding_code="omh:heart-rate:2.0", text="Heart Rate"),
    CodeableConcept(id=3, coding_system=OMH, coding_code="omh:heart-rate:1.0", text="Heart rate (old)"),
    CodeableConcept(id=4, coding_system="http://hl7.org/fhir/resource-types", coding_code="QuestionnaireResponse"),
]


@pytest.mark.parametrize("typed", ["blood-pressure", "BLOOD-PRESSURE", "omh:blood-pressure", "Blood pressure",
                                   "omh:blood-pressure:4.0", f"{OMH}|omh:blood-pressure:4.0", " blood-pressure "])
def test_names_of_one_code(typed):
    assert find_concept(typed, CONCEPTS).id == 1


def test_a_version_picks_one_and_a_bare_name_of_two_versions_is_refused():
    assert find_concept("omh:heart-rate:1.0", CONCEPTS).id == 3
    assert find_concept("questionnaireresponse", CONCEPTS).id == 4
    with pytest.raises(InvalidInput, match="several codes: omh:heart-rate:2.0, omh:heart-rate:1.0"):
        find_concept("heart-rate", CONCEPTS)


def test_an_unknown_name_lists_the_known_codes():
    with pytest.raises(InvalidInput) as refused:
        find_concept("glucose", CONCEPTS)
    assert "'glucose'" in refused.value.message and "omh:blood-pressure:4.0, omh:heart-rate:2.0" in refused.value.message


def test_source_from_the_datasheet_or_the_provenance():
    sheet = {"header": {"external_datasheets": [{"datasheet_type": "manufacturer", "datasheet_reference": "iHealth"}]}}
    assert source_of(sheet) == "iHealth"
    assert source_of({"header": {"acquisition_provenance": {"source_name": "Fitbit"}}}) == "Fitbit"
    assert source_of({"header": {}}) == source_of(None) == source_of({"header": {"external_datasheets": "x"}}) == ""
