package repository_test

import (
	"context"
	"fmt"
	"log"

	"github.com/tablestakes/tablestakes/repository"
)

func ExampleRepository_BatchGet() {
	firms, cleanup := exampleFirms()
	defer cleanup()
	ctx := context.Background()
	var ids []string
	for _, name := range []string{"Acme", "Bolt", "Cobalt"} {
		f := Firm{Name: name, Industry: "fintech", Founded: "2020"}
		if err := firms.Create(ctx, &f); err != nil {
			log.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	absent := "0193a8c2-7a4e-7d3c-9f00-0123456789ab"

	// The items come in the order asked, each once, absent ones left out;
	// a projection still reads the id.
	got, err := firms.BatchGet(ctx, []string{ids[2], absent, ids[0], ids[2]}, repository.Project("name"))
	if err != nil {
		// An invalid id sends nothing. A *BatchError says what was not
		// delivered: its UnprocessedKeys were not read, its Undecoded could
		// not be decoded as Firm; got holds every other item.
		log.Fatal(err)
	}
	for i, f := range got {
		fmt.Println(f.Name, f.ID == []string{ids[2], ids[0]}[i], f.Industry == "")
	}
	// Output:
	// Cobalt true true
	// Acme true true
}
