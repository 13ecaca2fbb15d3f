// The translation unit of rlhf_test_pch (tests/CMakeLists.txt): it compiles the tests' shared
// precompiled LibTorch header and nothing else.
