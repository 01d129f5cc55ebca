"""Background jobs of directory (vpdt.core.tasks): dormant accounts."""

from vpdt.core import tasks


@tasks.job("directory.dormant", every=6 * 3600)
def dormant() -> int:
    """Disable accounts unused for VPDT_DORMANT_DAYS (audited as account.dormant_disable)."""
    from vpdt.directory.oversight import disable_dormant

    return disable_dormant()
