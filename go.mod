module github.com/tcr-promote/tcr-promote

go 1.26.8

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/sethvargo/go-envconfig v1.4.3 // indirect
	github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common v1.3.212 // indirect
	golang.org/x/time v0.16.0 // indirect
)
