package repository_test

// Bulk writes of 500 items on the stub, at 0 and 2 ms of latency per
// request: the repository's BatchPut (8 requests in flight), a sequential
// loop of PutItem calls, and a hand-written pool of 8 workers sending
// BatchWriteItem requests of 25. transport=loopback serves the stub over
// HTTP on loopback, as issue 12 measured (each request pays a socket round
// trip); transport=inprocess answers in the caller's goroutine (client
// CPU only).
//
//	go test -run '^$' -bench BenchmarkBulkPut -benchmem -count 10 ./repository/ > bulk.txt
//	benchstat -col /impl bulk.txt

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func BenchmarkBulkPut(b *testing.B) {
	const n = 500
	items := make([]benchCompany, n)
	for i := range items {
		items[i] = benchFixture(i)
	}
	for _, bench := range []struct {
		transport string
		latency   time.Duration
	}{{"loopback", 0}, {"loopback", 2 * time.Millisecond}, {"inprocess", 0}} {
		stub := newDDBStub(b)
		client := stub.client()
		if bench.transport == "loopback" {
			client = stub.loopbackClient(b)
		}
		env := newBenchEnvOn(b, stub, client)
		env.stub.latency = bench.latency
		ctx := b.Context()
		lat := fmt.Sprintf("transport=%s/latency=%dms", bench.transport, bench.latency.Milliseconds())
		b.Run(lat+"/impl=putitem-loop", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for i := range items {
					if err := sdkPut(ctx, env.client, &items[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(lat+"/impl=sdk-parallel", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := sdkBulkPut(ctx, env.client, items, 8); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(lat+"/impl=repository", func(b *testing.B) {
			ptrs := make([]*benchCompany, n)
			for i := range items {
				ptrs[i] = &items[i]
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := env.repo.BatchPut(ctx, ptrs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// sdkBulkPut is the hand-written parallel bulk write: items marshalled in
// chunks of 25, sent by workers BatchWriteItem requests at a time.
func sdkBulkPut(ctx context.Context, client *dynamodb.Client, items []benchCompany, workers int) error {
	chunks := make(chan []types.WriteRequest)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for chunk := range chunks {
				if _, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
					RequestItems: map[string][]types.WriteRequest{benchTableName: chunk},
				}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var err error
	for start := 0; start < len(items) && err == nil; start += 25 {
		chunk := make([]types.WriteRequest, 0, 25)
		for i := start; i < min(start+25, len(items)); i++ {
			m, merr := attributevalue.MarshalMap(&items[i])
			if merr != nil {
				err = merr
				break
			}
			m["pk"] = &types.AttributeValueMemberS{Value: "COMPANY#" + items[i].ID}
			m["sk"] = &types.AttributeValueMemberS{Value: "PROFILE"}
			m["_et"] = &types.AttributeValueMemberS{Value: "benchCompany"}
			chunk = append(chunk, types.WriteRequest{PutRequest: &types.PutRequest{Item: m}})
		}
		chunks <- chunk
	}
	close(chunks)
	wg.Wait()
	close(errs)
	for e := range errs {
		err = e
	}
	return err
}
