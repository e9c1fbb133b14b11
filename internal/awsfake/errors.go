package awsfake

import "github.com/aws/smithy-go"

// apiError is a client-fault API error with a code and no SDK type.
type apiError struct{ code, msg string }

func (e *apiError) Error() string                 { return "api error " + e.code + ": " + e.msg }
func (e *apiError) ErrorCode() string             { return e.code }
func (e *apiError) ErrorMessage() string          { return e.msg }
func (e *apiError) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }
