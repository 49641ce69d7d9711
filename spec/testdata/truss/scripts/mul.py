out = in1 * in2
