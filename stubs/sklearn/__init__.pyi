# The part of scikit-learn that typedprop's examples use (the `examples` extra). scikit-learn
# ships no type information; these stubs give mypy the signatures typedprop relies on.
