"""The migrations build exactly the schema the models declare: a model changed without its migration (or a
migration that differs from its model) would work in tests built from one and fail on a database built by the
other."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from models import Base


def test_the_migrated_database_matches_the_models(database):
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
