// Random service names like Docker's (adjective_surname), for `service create` without --name.
import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'admiring', 'agitated', 'amazing', 'awesome', 'blissful', 'bold', 'brave', 'busy', 'charming', 'clever', 'compassionate',
  'confident', 'cool', 'dazzling', 'determined', 'eager', 'ecstatic', 'elastic', 'elated', 'elegant', 'epic', 'fervent',
  'focused', 'friendly', 'gallant', 'gifted', 'happy', 'hopeful', 'inspiring', 'jolly', 'keen', 'kind', 'laughing', 'lucid',
  'magical', 'modest', 'nifty', 'nostalgic', 'objective', 'optimistic', 'peaceful', 'pensive', 'practical', 'quirky',
  'relaxed', 'serene', 'sharp', 'stoic', 'sweet', 'tender', 'trusting', 'upbeat', 'vibrant', 'wizardly', 'youthful', 'zealous',
];
const SURNAMES = [
  'agnesi', 'allen', 'babbage', 'bardeen', 'bartik', 'bhabha', 'boole', 'borg', 'brattain', 'carson', 'cerf', 'curie',
  'darwin', 'dijkstra', 'einstein', 'euler', 'fermat', 'feynman', 'franklin', 'galileo', 'gauss', 'goldberg', 'hamilton',
  'hopper', 'hypatia', 'johnson', 'kapitsa', 'knuth', 'lamport', 'leakey', 'liskov', 'lovelace', 'mccarthy', 'meitner',
  'mirzakhani', 'morse', 'newton', 'noether', 'pascal', 'perlman', 'pike', 'ritchie', 'sammet', 'shannon', 'thompson',
  'torvalds', 'turing', 'villani', 'wing', 'wozniak', 'yonath',
];

export function randomServiceName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
}
