module github.com/donorsync/donorsync/examples

go 1.25

require github.com/donorsync/donorsync v0.0.0

require github.com/shopspring/decimal v1.4.0 // indirect

replace github.com/donorsync/donorsync => ../
