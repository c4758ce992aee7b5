/** A card's student (学员) as a screen names them: the name from the member's students (read with the member, sealed
 * nowhere else), or said removed since. */
export function studentOf(students, studentId, t) {
  if (!studentId) return ''
  const found = (students || []).find((student) => student.student_id === studentId)
  return t('membership.forStudent', { name: found ? found.name : t('membership.studentGone') })
}
