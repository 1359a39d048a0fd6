"""Import every domain's tables so that Base.metadata knows them all (Alembic, tests)."""

from bemserver import domain


def load_all_models() -> None:
    domain.load_models(domain.discover())
