module github.com/donorsync/donorsync/store/postgres

go 1.25.0

require (
	github.com/donorsync/donorsync v0.0.0
	github.com/jackc/pgx/v5 v5.12.0
)

replace github.com/donorsync/donorsync => ../../
