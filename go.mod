module github.com/donorsync/donorsync

go 1.25

require github.com/shopspring/decimal v1.4.0

require github.com/google/go-cmp v0.7.0
