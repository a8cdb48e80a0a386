package app

import (
	"strings"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
)

// ingestAsOperator is a submission of csv to entry code by the offline operator.
func ingestAsOperator(code, district, csv string) ingest.Submission {
	return ingest.Submission{Entry: code, Filename: "matrix.csv", Body: strings.NewReader(csv), District: district, Principal: catalog.Operator()}
}
