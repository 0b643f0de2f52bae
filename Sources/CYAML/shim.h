#ifndef STOQ_CYAML_SHIM_H
#define STOQ_CYAML_SHIM_H
#include <yaml.h>
#endif
