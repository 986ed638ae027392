"""A local NetSuite account for tests and demos: SuiteTalk REST invoices, SuiteQL, TBA auth.

It speaks the real protocol on loopback (OAuth 1.0a HMAC-SHA256 signatures are verified,
errors have NetSuite's shape, the concurrency limit answers 429) and can inject the faults
NetSuite shows under load, so the sync tool is tested against behaviour, not mocks.
"""

from .config import EmulatorConfig, FaultSettings, load_reference_file
from .server import EmulatorServer, running_emulator, serve_forever
from .store import InvoiceLine, InvoiceRecord, InvoiceStore

__all__ = [
    "EmulatorConfig",
    "EmulatorServer",
    "FaultSettings",
    "InvoiceLine",
    "InvoiceRecord",
    "InvoiceStore",
    "load_reference_file",
    "running_emulator",
    "serve_forever",
]
