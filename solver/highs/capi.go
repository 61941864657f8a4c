package highs

// fn identifies a C API function (or libc helper) exported by the module.
type fn int

const (
	fnCreate fn = iota
	fnDestroy
	fnRun
	fnPassMip
	fnGetModelStatus
	fnGetObjectiveValue
	fnGetSolution
	fnGetBasis
	fnSetBasis
	fnChangeColBounds
	fnChangeColsBoundsBySet
	fnChangeColsCostBySet
	fnAddRows
	fnDeleteRowsBySet
	fnGetIntInfoValue
	fnGetInt64InfoValue
	fnGetDoubleInfoValue
	fnSetBoolOptionValue
	fnSetIntOptionValue
	fnSetDoubleOptionValue
	fnSetStringOptionValue
	fnGetOptionType
	fnGetNumCol
	fnGetNumRow
	fnVersion
	fnSetSolution
	fnGetRunTime
	fnZeroAllClocks
	fnPresolve
	fnGetPresolvedNumCol
	fnGetPresolvedNumRow
	fnGetPresolvedNumNz
	fnGetPresolvedLp
	fnPostsolve
	fnPassColName
	fnGetPresolvedColName
	fnGetBasicVariables
	fnGetBasisInverseRow
	fnMalloc
	fnFree
	numFn
)

// cNames are the C names of the fn constants, in order.
var cNames = [numFn]string{
	fnCreate:                "Highs_create",
	fnDestroy:               "Highs_destroy",
	fnRun:                   "Highs_run",
	fnPassMip:               "Highs_passMip",
	fnGetModelStatus:        "Highs_getModelStatus",
	fnGetObjectiveValue:     "Highs_getObjectiveValue",
	fnGetSolution:           "Highs_getSolution",
	fnGetBasis:              "Highs_getBasis",
	fnSetBasis:              "Highs_setBasis",
	fnChangeColBounds:       "Highs_changeColBounds",
	fnChangeColsBoundsBySet: "Highs_changeColsBoundsBySet",
	fnChangeColsCostBySet:   "Highs_changeColsCostBySet",
	fnAddRows:               "Highs_addRows",
	fnDeleteRowsBySet:       "Highs_deleteRowsBySet",
	fnGetIntInfoValue:       "Highs_getIntInfoValue",
	fnGetInt64InfoValue:     "Highs_getInt64InfoValue",
	fnGetDoubleInfoValue:    "Highs_getDoubleInfoValue",
	fnSetBoolOptionValue:    "Highs_setBoolOptionValue",
	fnSetIntOptionValue:     "Highs_setIntOptionValue",
	fnSetDoubleOptionValue:  "Highs_setDoubleOptionValue",
	fnSetStringOptionValue:  "Highs_setStringOptionValue",
	fnGetOptionType:         "Highs_getOptionType",
	fnGetNumCol:             "Highs_getNumCol",
	fnGetNumRow:             "Highs_getNumRow",
	fnVersion:               "Highs_version",
	fnSetSolution:           "Highs_setSolution",
	fnGetRunTime:            "Highs_getRunTime",
	fnZeroAllClocks:         "Highs_zeroAllClocks",
	fnPresolve:              "Highs_presolve",
	fnGetPresolvedNumCol:    "Highs_getPresolvedNumCol",
	fnGetPresolvedNumRow:    "Highs_getPresolvedNumRow",
	fnGetPresolvedNumNz:     "Highs_getPresolvedNumNz",
	fnGetPresolvedLp:        "Highs_getPresolvedLp",
	fnPostsolve:             "Highs_postsolve",
	fnPassColName:           "Highs_passColName",
	fnGetPresolvedColName:   "Highs_getPresolvedColName",
	fnGetBasicVariables:     "Highs_getBasicVariables",
	fnGetBasisInverseRow:    "Highs_getBasisInverseRow",
	fnMalloc:                "malloc",
	fnFree:                  "free",
}

// HiGHS C API constants (highs_c_api.h).
const (
	statusError   = -1
	statusOK      = 0
	statusWarning = 1

	matrixColwise = 1
	objMinimize   = 1
	objMaximize   = -1

	optionBool   = 0
	optionInt    = 1
	optionDouble = 2
	optionString = 3

	solutionStatusFeasible = 2 // kHighsSolutionStatusFeasible
)

// HighsModelStatus values.
const (
	msNotset                = 0
	msLoadError             = 1
	msModelError            = 2
	msPresolveError         = 3
	msSolveError            = 4
	msPostsolveError        = 5
	msModelEmpty            = 6
	msOptimal               = 7
	msInfeasible            = 8
	msUnboundedOrInfeasible = 9
	msUnbounded             = 10
	msObjectiveBound        = 11
	msObjectiveTarget       = 12
	msTimeLimit             = 13
	msIterationLimit        = 14
	msUnknown               = 15
	msSolutionLimit         = 16
	msInterrupt             = 17
)
