import type { Label } from '../labels.js';
import type { MfnPolicy } from './types.js';

/** MaskedFace-Net suffixes, longest first so `_Mask_Chin` is not read as `_Mask`. */
const MFN_SUFFIX = /_(mask_mouth_chin|mask_nose_mouth|mask_chin|mask|cwm|iwm)$/i;

export type MfnKind = 'Mask' | 'Mask_Mouth_Chin' | 'Mask_Chin' | 'Mask_Nose_Mouth' | 'CWM' | 'IWM';

const KIND_BY_SUFFIX: Record<string, MfnKind> = {
  mask: 'Mask',
  mask_mouth_chin: 'Mask_Mouth_Chin',
  mask_chin: 'Mask_Chin',
  mask_nose_mouth: 'Mask_Nose_Mouth',
  cwm: 'CWM',
  iwm: 'IWM',
};

/** The MaskedFace-Net kind in a file name (`00012_Mask_Chin.jpg` -> 'Mask_Chin'), or undefined. */
export function mfnKindOf(fileName: string): MfnKind | undefined {
  const base = fileName.replace(/^.*[\\/]/, '');
  const stem = base.includes('.') ? base.slice(0, base.lastIndexOf('.')) : base;
  const m = MFN_SUFFIX.exec(stem);
  return m ? KIND_BY_SUFFIX[(m[1] as string).toLowerCase()] : undefined;
}

/**
 * The label a MaskedFace-Net kind stands for under a policy (see MfnPolicy in types.ts), or 'skip'.
 * `_Mask_Nose_Mouth` (chin uncovered) is the only kind whose label is a choice; default 'incorrect'.
 */
export function labelForMfnKind(kind: MfnKind, policy: MfnPolicy = {}): Label | 'skip' {
  switch (kind) {
    case 'Mask':
    case 'CWM':
      return 'correct';
    case 'Mask_Mouth_Chin':
    case 'Mask_Chin':
    case 'IWM':
      return 'incorrect';
    case 'Mask_Nose_Mouth':
      return policy.noseMouth ?? 'incorrect';
  }
}
