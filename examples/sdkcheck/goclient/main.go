// Command goclient runs update-user (or get-user with -get) over the users
// ratelab run gives it, one operation at a time, with the official Genesys
// Go SDK and its retries switched on as Genesys's Terraform provider does
// (RetryWaitMin 1s, RetryWaitMax 30s, RetryMax 20): what ratelab's sdk-go
// strategy models.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mypurecloud/platform-client-sdk-go/v150/platformclientv2"
)

func main() {
	ops := flag.Int("ops", 20, "operations to run")
	get := flag.Bool("get", false, "get-user instead of update-user")
	flag.Parse()
	config := platformclientv2.GetDefaultConfiguration()
	config.BasePath = os.Getenv("RATELAB_BASE_URL")
	config.RetryConfiguration = &platformclientv2.RetryConfiguration{RetryWaitMin: time.Second, RetryWaitMax: 30 * time.Second, RetryMax: 20}
	if err := config.AuthorizeClientCredentials(os.Getenv("GENESYS_CLIENT_ID"), os.Getenv("GENESYS_CLIENT_SECRET")); err != nil {
		fmt.Fprintln(os.Stderr, "goclient: login:", err)
		os.Exit(1)
	}
	users := platformclientv2.NewUsersApiWithConfig(config)
	ids := strings.Split(os.Getenv("RATELAB_USER_IDS"), ",")
	ok := 0
	for i := 0; i < *ops; i++ {
		id := ids[i%len(ids)]
		u, _, err := users.GetUser(id, nil, "", "")
		if err == nil && !*get {
			dept := fmt.Sprintf("sdk-check-%d", i)
			_, _, err = users.PatchUser(id, platformclientv2.Updateuser{Department: &dept, Version: u.Version})
		}
		if err == nil {
			ok++
		}
	}
	fmt.Printf("goclient: %d/%d operations succeeded\n", ok, *ops)
}
