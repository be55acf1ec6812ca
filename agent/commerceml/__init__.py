"""1C CommerceML 2 (2.03-2.10) catalog exchange: import.xml, offers.xml, prices.xml, rests.xml."""

from .importer import import_files
from .summary import ImportSummary

__all__ = ["import_files", "ImportSummary"]
