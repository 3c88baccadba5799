"""What must not travel into a blinded dataset: sidecar fields and NIfTI header text.

Examples
--------
>>> scrub_sidecar({"EchoTime": 0.004, "AcquisitionTime": "10:14:02", "SeriesNumber": 4}, DEFAULT_SCRUB_FIELDS)
{'EchoTime': 0.004}
>>> identifying_fields([("p1", {"TR": 2.3, "Coil": "A1"}), ("p1", {"TR": 2.3, "Coil": "A1"}),
...                     ("p2", {"TR": 2.3, "Coil": "B7"}), ("p2", {"TR": 2.3, "Coil": "B7"})])
['Coil']
"""

from __future__ import annotations

import json
from collections import defaultdict

#: Sidecar fields that can tie two images to one person or one session (dates, times, series and
#: acquisition numbers, DICOM UIDs, institution- and patient-specific identifiers).
DEFAULT_SCRUB_FIELDS = frozenset(
    {
        "AcquisitionDate",
        "AcquisitionDateTime",
        "AcquisitionNumber",
        "AcquisitionTime",
        "AccessionNumber",
        "ContentDate",
        "ContentTime",
        "DataSource",
        "DeviceSerialNumber",
        "ImageComments",
        "InstanceCreationDate",
        "InstanceCreationTime",
        "InstitutionAddress",
        "InstitutionName",
        "InstitutionalDepartmentName",
        "OperatorsName",
        "PatientBirthDate",
        "PatientID",
        "PatientName",
        "PatientSex",
        "PatientAge",
        "PatientWeight",
        "PerformingPhysicianName",
        "ProcedureStepDescription",
        "ReferringPhysicianName",
        "SeriesDate",
        "SeriesDescription",
        "SeriesInstanceUID",
        "SeriesNumber",
        "SeriesTime",
        "SOPInstanceUID",
        "StationName",
        "StudyDate",
        "StudyDescription",
        "StudyID",
        "StudyInstanceUID",
        "StudyTime",
        "TimeZone",
    }
)
#: NIfTI-1/2 header fields holding free text (a converter may write names, dates or paths there).
HEADER_TEXT_FIELDS = ("descrip", "aux_file", "db_name", "intent_name")


def scrub_sidecar(sidecar: dict, fields) -> dict:
    """A copy of ``sidecar`` without ``fields``."""
    return {name: value for name, value in sidecar.items() if name not in fields}


def identifying_fields(sidecars: list[tuple[str, dict]]) -> list[str]:
    """Fields whose value is the same in all images of a participant and belongs to that
    participant alone, so that it would match a participant's images across conditions.

    ``sidecars`` are (participant, sidecar) pairs. Only participants with two or more images
    can show a field to be shared within them; at least two participants must have the field.
    """
    values: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))  # field -> participant -> values
    for participant, sidecar in sidecars:
        for name, value in sidecar.items():
            values[name][participant].add(json.dumps(value, sort_keys=True))
    found = []
    for name, by_participant in values.items():
        shared = [v for v in by_participant.values() if len(v) == 1]
        if len(shared) < 2 or len(shared) < len(by_participant):
            continue
        owners = [next(iter(v)) for v in shared]
        if len(set(owners)) == len(owners):
            found.append(name)
    return sorted(found)


def header_text(header) -> dict[str, str]:
    """The non-empty free-text fields of a NIfTI header."""
    found = {}
    for name in HEADER_TEXT_FIELDS:
        if name in header:
            text = bytes(header[name].tobytes()).split(b"\0")[0].decode("latin-1").strip()
            if text:
                found[name] = text
    return found
