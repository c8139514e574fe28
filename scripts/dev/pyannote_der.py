"""Prints pyannote.metrics' DER for REF.rttm HYP.rttm COLLAR (collar given as a total
width in pyannote, i.e. twice our ±collar). Used by the tests to cross-check our DER."""
import sys

from pyannote.core import Annotation, Segment
from pyannote.metrics.diarization import DiarizationErrorRate


def load(path):
    annotation = Annotation()
    for index, line in enumerate(open(path)):
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            start, duration = float(fields[3]), float(fields[4])
            annotation[Segment(start, start + duration), index] = fields[7]
    return annotation


ref, hyp, collar = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
print(DiarizationErrorRate(collar=2 * collar, skip_overlap=False)(ref, hyp))
