#!/bin/sh
# First start of the compose PostgreSQL: the runtime role the app connects as. It owns
# nothing; `caseflow db upgrade` (the migrate service, as the owner) grants it SELECT and
# INSERT only on the ledger tables and ordinary DML on the rest (docs/security.md).
set -eu
password=$(cat "${CASEFLOW_RUNTIME_PASSWORD_FILE:?}")
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="$password" <<'SQL'
CREATE ROLE caseflow_runtime LOGIN PASSWORD :'password';
SQL
