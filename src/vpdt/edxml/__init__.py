"""edXML (QCVN 102:2016): read, write and check document and status packages.

A plain Python library (no Django): streaming reader and writer, typed models,
XML signature over the header, agency code checks. See docs/edxml.md.
"""

from .codes import code_scheme, parent_organ_id, validate_organ_id, validate_qd20_code
from .errors import EdxmlError, EdxmlWarning
from .limits import Limits
from .model import (
    BUSINESS_NEW,
    BUSINESS_REPLACE,
    BUSINESS_REVOKE,
    BUSINESS_UPDATE,
    DSIG_NS,
    NS,
    STATUS_NAMES,
    Attachment,
    AttachmentMeta,
    AttachmentSource,
    Business,
    BusinessDocumentInfo,
    Code,
    DocumentPackage,
    DocumentType,
    ManifestReference,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignatureInfo,
    SignerInfo,
    StaffInfo,
    StatusPackage,
    TraceHeader,
    ZipEntry,
)
from .reader import read_package
from .signature import XmlSigner
from .sinks import DirectorySink
from .writer import write_package, write_status

__all__ = [
    "BUSINESS_NEW", "BUSINESS_REPLACE", "BUSINESS_REVOKE", "BUSINESS_UPDATE", "DSIG_NS", "NS", "STATUS_NAMES",
    "Attachment", "AttachmentMeta", "AttachmentSource", "Business", "BusinessDocumentInfo", "Code",
    "DirectorySink", "DocumentPackage", "DocumentType", "EdxmlError", "EdxmlWarning", "Limits",
    "ManifestReference", "MessageHeader", "Organization", "OtherInfo", "PromulgationInfo", "Receiver",
    "ReplacementInfo", "ResponseFor", "SignatureInfo", "SignerInfo", "StaffInfo", "StatusPackage",
    "TraceHeader", "XmlSigner", "ZipEntry", "code_scheme", "parent_organ_id", "read_package", "validate_organ_id",
    "validate_qd20_code",
    "write_package", "write_status",
]
