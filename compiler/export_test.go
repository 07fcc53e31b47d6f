package compiler

// Belongs is belongs, for the tests of package compiler_test.
var Belongs = belongs
