"""Alembic environment: runs migrations on the engine civicbot's settings describe."""
from alembic import context

from bot.infra.db import make_engine
from models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    settings = config.attributes.get("civicbot_settings")
    if settings is None:
        from bot.config import load_config
        settings = load_config()
    engine = make_engine(settings)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
