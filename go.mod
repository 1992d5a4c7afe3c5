module github.com/donorsync/donorsync

go 1.25

require github.com/shopspring/decimal v1.4.0
