"""Background jobs of the one-stop shop's deadlines and joint processing (vpdt.core.tasks)."""

from vpdt.core import tasks


@tasks.job("motcua.deadlines", every=900)
def deadlines() -> dict:
    from vpdt.motcua.deadlines import scan

    return scan()


@tasks.job("motcua.joint", every=60)
def joint() -> int:
    from vpdt.motcua.joint import sync

    return sync()


@tasks.job("motcua.notices", every=120)
def notices() -> int:
    from vpdt.motcua.notify import send_pending

    return send_pending()
