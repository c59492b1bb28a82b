#include "trace/trace-hw_net_toe.h"
